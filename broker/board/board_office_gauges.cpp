// See board_office_gauges.h.
#include "broker/board/board_office_gauges.h"

#include <algorithm>
#include <cstdlib>

#include "broker/city/city_chain.h"
#include "broker/city/directives.h"
#include "broker/city/readiness_report.h"
#include "broker/picture/view.h"
#include "broker/store/checkpoint_store.h"
#include "broker/store/picture_store.h"
#include "broker/store/unit_report_times.h"
#include "common/bytes.h"
#include "common/checkpoint.h"

namespace samband::broker {

using nlohmann::json;

namespace {

const char* offsetRange(int64_t offsetMs) {
  const int64_t a = std::llabs(offsetMs);
  if (a < 1000) return "under_1s";
  if (a < 5000) return "1s_to_5s";
  if (a <= kClockOffsetWarnMs) return "5s_to_2min";
  return "over_2min";
}

}  // namespace

common::Result<OfficeGauges> officeGauges(Store& store, const BoardViewRules& rules,
                                          int64_t nowMs) {
  OfficeGauges g;
  PictureStore rows(store);

  auto rule = reportAgeRule(store, rules.holidays);
  if (!rule) return rule.error();
  g.reportAllowanceS = rules.reportOldAfterMs / 1000;
  g.schoolTime = rule->schoolTime;
  // Only the report times, not every column of every unit, and the calendar only for a report
  // older than the allowance in wall time: school time is never more than wall time. Both were
  // most of a scrape's 25-50 ms at 10,000 units (docs/performance.md).
  auto units = unitReportTimes(store);
  if (!units) return units.error();
  for (const char* reason : {"old", "expired", "never_reported"}) g.unitsReportOverdue[reason] = 0;
  int64_t& neverReported = g.unitsReportOverdue["never_reported"];
  int64_t& expired = g.unitsReportOverdue["expired"];
  int64_t& old = g.unitsReportOverdue["old"];
  for (const auto& u : *units) {
    if (u.sentAt == 0) {
      neverReported++;
    } else if (u.validUntil > 0 && u.validUntil < nowMs) {
      expired++;
    } else if (nowMs - u.sentAt > rules.reportOldAfterMs &&
               rule->ageMs(u.sentAt, nowMs) > rules.reportOldAfterMs) {
      old++;
    }
  }

  auto report = readinessReport(store, std::nullopt, std::nullopt, nowMs);
  if (!report && report.error().kind != common::ErrorKind::notFound) return report.error();
  if (report) {
    // As the board shows it: before the deadline a provider without an answer is pending.
    OfficeGauges::Readiness r;
    r.mode = report->mode;
    r.issuedAtMs = report->issuedAt;
    r.deadlineMs = report->deadline;
    const int64_t pending = report->deadlinePassed ? 0 : report->missing;
    r.providersByOutcome["answered"] = report->answered;
    r.providersByOutcome["late"] = report->late;
    r.providersByOutcome["pending"] = pending;
    r.providersByOutcome["missing"] = report->missing - pending;
    r.failedSelfTests = report->failed;
    r.unconfirmed = report->unconfirmed;
    g.readiness = std::move(r);
  }

  auto directives = directiveStatus(store, std::nullopt, nowMs);
  if (!directives) return directives.error();
  for (const auto& d : *directives) {
    if (d.value("mode", std::string()) != "actual" || d.value("expired", false)) continue;
    OfficeGauges::Directive item;
    item.id = d.value("id", std::string());
    item.requireAck = d.value("require_ack", false);
    item.recipients = d.value("recipients", int64_t{0});
    item.undelivered = static_cast<int64_t>(d.value("missing", json::array()).size());
    item.unacknowledged = static_cast<int64_t>(d.value("not_acknowledged", json::array()).size());
    g.openDirectives.push_back(std::move(item));
  }

  auto providers = rows.providers();
  if (!providers) return providers.error();
  for (const char* range : {"under_1s", "1s_to_5s", "5s_to_2min", "over_2min", "unmeasured"}) {
    g.providersByClockOffset[range] = 0;
  }
  for (const auto& p : *providers) {
    if (!p.clockOffsetMs) {
      g.providersByClockOffset["unmeasured"]++;
      continue;
    }
    g.providersByClockOffset[offsetRange(*p.clockOffsetMs)]++;
    g.clockOffsetMaxAbsS =
        std::max(g.clockOffsetMaxAbsS, static_cast<double>(std::llabs(*p.clockOffsetMs)) / 1000.0);
  }

  auto health = rows.health();
  if (!health) return health.error();
  auto latest = CheckpointStore(store).latest();
  if (!latest) return latest.error();
  if (*latest) {
    const StoredCheckpoint& cp = **latest;
    g.checkpoints.latestNumber = cp.number;
    g.checkpoints.framesBehind = std::max<int64_t>(0, health->archivedFrames - cp.lastFrameId);
    if (auto decoded = common::decodeCheckpoint(cp.header); decoded) {
      g.checkpoints.latestSignedAtMs = decoded->signedAt;
    }
    auto key = store.meta(kMetaCitySignPublic);
    if (!key) return key.error();
    common::PublicKey city{};
    if (*key && common::fromHex(**key, city.data(), city.size())) {
      g.checkpoints.latestSignatureValid = common::verifyCheckpoint(city, cp.header, cp.signature);
    }
  } else {
    g.checkpoints.framesBehind = health->archivedFrames;
  }
  return g;
}

}  // namespace samband::broker
