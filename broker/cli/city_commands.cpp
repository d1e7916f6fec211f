// CLI verbs for what the city sends: readiness checks and directives (see commands.h).
#include <chrono>
#include <ctime>
#include <iostream>
#include <sstream>
#include <thread>

#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "broker/city/readiness_schedule.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/commands.h"
#include "broker/store/calendar_store.h"
#include "broker/store/store.h"
#include "common/calendar_config.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

// Everything a city-side verb needs: config, database, and the city identity.
struct CityContext {
  BrokerConfig config;
  std::unique_ptr<Store> store;
  std::unique_ptr<common::Identity> city;
};

common::Result<CityContext> openCity(const std::string& configPath, bool needIdentity) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return cfg.error();
  applyTimeZone(cfg->readiness.timeZone);
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return store.error();
  CityContext c{std::move(cfg).value(), std::move(store).value(), nullptr};
  if (needIdentity) {
    auto city = common::Identity::load(c.config.identityPath);
    if (!city) return city.error();
    c.city = std::move(city).value();
  }
  return c;
}

int printReport(Store& store, const std::optional<std::string>& id,
                const std::optional<std::string>& date, const std::string& format) {
  common::SystemClock clock;
  auto report = readinessReport(store, id, date, clock.nowMs());
  if (!report) {
    return fail(report.error().message,
                report.error().kind == common::ErrorKind::notFound ? kExitUsage : kExitFailure);
  }
  if (format == "json") {
    std::cout << report->toJson().dump(2) << "\n";
  } else if (format == "csv") {
    std::cout << report->toCsv();
  } else {
    std::cout << report->toText();
  }
  return report->allGood() ? kExitOk : kExitReadinessProblem;
}

}  // namespace

int runReadinessRun(const std::string& configPath, const ReadinessRunOptions& o) {
  auto deadline = parseDuration(o.deadline);
  if (!deadline || *deadline <= 0) return fail("--deadline must be a duration like 10m or 1h");
  common::Mode mode;
  if (!common::parseMode(o.mode, &mode))
    return fail("--mode must be actual, exercise, system or test");
  auto ctx = openCity(configPath, true);
  if (!ctx) return fail(ctx.error().message);
  common::SystemClock clock;
  CheckOptions co;
  co.deadlineMs = *deadline;
  co.requireConfirmation = o.requireConfirmation;
  co.mode = mode;
  auto id = issueCheck(*ctx->store, *ctx->city, co, clock.nowMs());
  if (!id) return fail(id.error().message, kExitFailure);
  std::cout << "Issued readiness check " << *id << " to every enrolled provider; deadline in "
            << o.deadline << ".\n";
  if (!o.wait) {
    std::cout << "See the answers with: samband-broker readiness report --config " << configPath
              << " --check " << *id << "\n";
    return kExitOk;
  }
  // Wait until every provider answered (and confirmed, if asked) or the deadline passed, with a
  // line each time the counts change (or the minutes left do, so a quiet wait still shows life).
  const int64_t until = clock.nowMs() + *deadline;
  std::string shown, shownCounts;
  while (clock.nowMs() < until) {
    auto r = readinessReport(*ctx->store, *id, std::nullopt, clock.nowMs());
    if (r) {
      const std::string line = r->progressText(clock.nowMs());
      const std::string counts = line.substr(0, line.find(" \u2014 "));
      // In the last minute the seconds tick too fast to print each: only counts get a line.
      const bool minuteTick = line != shown && line.find(" s left") == std::string::npos;
      if (counts != shownCounts || minuteTick) {
        // JSON and CSV stay clean on stdout for scripts: their progress goes to stderr.
        (o.format == "text" ? std::cout : std::cerr) << line << "\n" << std::flush;
        shown = line;
        shownCounts = counts;
      }
      if (r->missing == 0 && r->unconfirmed == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return printReport(*ctx->store, *id, std::nullopt, o.format);
}

namespace {

// `--date today` (the readiness timer): was today a day the schedule sends a check on? Asks the
// scheduler's own rule at today's check time, with the calendar and level in force now.
common::Result<bool> isCheckDayToday(CityContext& ctx, int64_t nowMs) {
  const ReadinessSchedule& schedule = ctx.config.readiness;
  const time_t now = static_cast<time_t>(nowMs / 1000);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = schedule.minuteOfDay / 60;
  tm.tm_min = schedule.minuteOfDay % 60;
  tm.tm_sec = 30;
  tm.tm_isdst = -1;
  const int64_t checkTimeMs = static_cast<int64_t>(std::mktime(&tm)) * 1000;
  auto calendar = schoolCalendarOf(*ctx.store, schedule.holidays);
  if (!calendar) return calendar.error();
  auto level = ctx.store->meta(kMetaLevel);
  if (!level) return level.error();
  const bool excuses = common::calendarExcusesSilence(level->value_or(""));
  return dueDate(schedule, checkTimeMs, *calendar, excuses).has_value();
}

}  // namespace

int runReadinessReport(const std::string& configPath, const std::optional<std::string>& checkId,
                       const std::optional<std::string>& date, const std::string& format) {
  auto ctx = openCity(configPath, false);
  if (!ctx) return fail(ctx.error().message);
  if (!date || *date != "today") return printReport(*ctx->store, checkId, date, format);
  common::SystemClock clock;
  const std::string today = localDate(clock.nowMs());
  auto report = readinessReport(*ctx->store, checkId, today, clock.nowMs());
  if (report || report.error().kind != common::ErrorKind::notFound) {
    return printReport(*ctx->store, checkId, today, format);
  }
  auto checkDay = isCheckDayToday(*ctx, clock.nowMs());
  if (!checkDay) return fail(checkDay.error().message, kExitFailure);
  if (!*checkDay) {
    std::cout << "No readiness check on " << today
              << ": the schedule sends none today ([readiness] enabled, weekdays and skip, or "
                 "no school at normal level).\n";
    return kExitOk;
  }
  return fail("no readiness check was issued on " + today +
                  ", a day the schedule sends one: is samband-broker serve running "
                  "(systemctl status samband-broker)? Send one now with: samband-broker "
                  "readiness run --config " +
                  configPath + " --wait",
              kExitReadinessProblem);
}

int runDirectiveSend(const std::string& configPath, const DirectiveSendOptions& o) {
  DirectiveOptions d;
  if (o.to != "all") {
    std::stringstream in(o.to);
    std::string item;
    while (std::getline(in, item, ',')) {
      if (!item.empty()) d.to.push_back(item);
    }
    if (d.to.empty()) return fail("--to must be 'all' or organisation numbers separated by commas");
  }
  d.text = o.text;
  if (!common::parseLevel(o.level, &d.level)) {
    return fail("--level must be normal, heightened or highest");
  }
  d.requireAck = o.requireAck;
  auto expires = parseDuration(o.expires);
  if (!expires || *expires <= 0) return fail("--expires must be a duration like 24h or 7d");
  d.expiresInMs = *expires;
  if (!common::parseMode(o.mode, &d.mode))
    return fail("--mode must be actual, exercise, system or test");
  auto ctx = openCity(configPath, true);
  if (!ctx) return fail(ctx.error().message);
  common::SystemClock clock;
  auto id = sendDirective(*ctx->store, *ctx->city, d, clock.nowMs());
  if (!id) return fail(id.error().message);
  std::cout << "Sent directive " << *id << "; follow it with: samband-broker directive status "
            << "--config " << configPath << " --id " << *id << "\n";
  return kExitOk;
}

int runDirectiveStatus(const std::string& configPath, const std::optional<std::string>& id,
                       bool json) {
  auto ctx = openCity(configPath, false);
  if (!ctx) return fail(ctx.error().message);
  common::SystemClock clock;
  auto status = directiveStatus(*ctx->store, id, clock.nowMs());
  if (!status) return fail(status.error().message);
  if (json) {
    // One directive by id is an object; an id two brokers apart both used (one directive per
    // city key, docs/replication.md) lists both, like the whole list.
    std::cout << (id && status->size() == 1 ? (*status)[0] : *status).dump(2) << "\n";
  } else {
    std::cout << directiveStatusText(*status);
  }
  return kExitOk;
}

}  // namespace samband::broker
