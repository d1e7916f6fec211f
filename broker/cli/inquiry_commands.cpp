// CLI verbs for an inquiry (see commands.h and docs/inquiry.md): export a period of the archive
// as a folder an inquiry can check without the broker, and verify such a folder.
#include <iostream>

#include "broker/city/readiness_schedule.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/commands.h"
#include "broker/inquiry/inquiry_export.h"
#include "broker/inquiry/inquiry_verify.h"
#include "broker/picture/moment.h"
#include "common/clock.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

}  // namespace

int runInquiryExport(const std::string& configPath, const std::string& from, const std::string& to,
                     const std::string& out) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto board = loadBoardOptions(*cfg);
  if (!board) return fail(board.error().message);
  // The city's identity signs the manifest; the export itself only reads the archive.
  auto city = common::Identity::load(cfg->identityPath);
  if (!city) return fail(city.error().message + " (the city's key signs the export's manifest)");
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  applyTimeZone(cfg->readiness.timeZone);
  auto fromMs = parseMoment(from, "--from");
  if (!fromMs) return fail(fromMs.error().message);
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  auto toMs = to == "now" ? common::Result<int64_t>(now) : parseMoment(to, "--to");
  if (!toMs) return fail(toMs.error().message);
  inquiry::ExportOptions o;
  o.fromMs = *fromMs;
  o.toMs = *toMs;
  o.outDir = out;
  o.rules.liveness = cfg->liveness;
  o.rules.reportOldAfterMs = board->reportOldAfterMs;
  o.rules.holidays = cfg->holidays;
  o.rules.timeZone = cfg->readiness.timeZone;
  auto done = inquiry::exportInquiry(**store, **city, o, now);
  if (!done) {
    return fail("inquiry export: " + done.error().message,
                done.error().kind == common::ErrorKind::invalidInput ? kExitUsage : kExitFailure);
  }
  std::cout << "Wrote " << out << ": " << done->framesInPeriod << " signed frames of the period "
            << formatLocalMoment(done->fromMs) << " to " << formatLocalMoment(o.toMs) << " (and "
            << done->framesBefore << " from before it that its start rests on), "
            << done->checkpoints << " checkpoints, " << done->pictures << " pictures, "
            << done->files << " files; the city signed its manifest.\n";
  if (done->uncoveredFrames > 0) {
    std::cout << "Note: " << done->uncoveredFrames
              << " frame(s) at the end are not covered by a checkpoint yet; export again after "
                 "'samband-broker serve' has run to prove their completeness too.\n";
  }
  std::cout << "Check it with: samband-broker inquiry verify " << out << "   or   python3 " << out
            << "/verify.py " << out << "\n";
  return kExitOk;
}

int runInquiryVerify(const std::string& dir, bool json, const std::string& cityKeysPath) {
  auto report = inquiry::verifyInquiry(dir, cityKeysPath);
  if (json) {
    std::cout << report.toJson().dump(2) << "\n";
  } else {
    std::cout << report.toText();
  }
  return report.intact() ? kExitOk : kExitFailure;
}

}  // namespace samband::broker
