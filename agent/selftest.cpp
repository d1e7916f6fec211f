// The readiness self-tests and where their inputs come from.
#include "agent/selftest.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/city_state.h"
#include "agent/outbox.h"
#include "agent/session.h"
#include "common/calendar_config.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

common::SelfTestMsg result(const char* name, bool passed, std::string detail) {
  if (detail.size() > common::kMaxShortText) {
    detail = detail.substr(0, common::kMaxShortText - 3) + "...";
  }
  return {name, passed, std::move(detail)};
}

// "12.3 s"
std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string hours(int64_t ms) { return std::to_string(ms / 3'600'000) + " h"; }

common::SelfTestMsg brokerLink(const SelfTestInputs& in) {
  if (in.connected) return result("broker_link", true, "connected, CURVE handshake ok");
  return result("broker_link", false, "not connected to the broker; samband-agent status says why");
}

common::SelfTestMsg clockSkew(const SelfTestInputs& in, const SelfTestLimits& limits) {
  if (!in.clockSkewMs) return result("clock_skew", false, "no time from the broker yet");
  int64_t skew = *in.clockSkewMs;
  int64_t magnitude = skew < 0 ? -skew : skew;
  std::string detail =
      "broker clock " + seconds(magnitude) + (skew < 0 ? " behind ours" : " ahead of ours");
  if (magnitude <= limits.clockSkewMaxMs) return result("clock_skew", true, detail);
  // Said from this server's side (the opposite sign of the skew), in minutes once that large.
  const std::string amount =
      magnitude >= 300'000 ? std::to_string(magnitude / 60'000) + " min" : seconds(magnitude);
  return result("clock_skew", false,
                "this server's clock is " + amount + (skew < 0 ? " ahead of" : " behind") +
                    " the city's broker (limit " + seconds(limits.clockSkewMaxMs) +
                    "): fix time synchronisation (timedatectl set-ntp true, or chrony)");
}

common::SelfTestMsg diskFree(const SelfTestInputs& in, const SelfTestLimits& limits) {
  const std::string minimum = " (minimum " + std::to_string(limits.diskFreeMinBytes >> 20) + " MB)";
  if (!in.diskFreeBytes) {
    return result("disk_free", false, "cannot read the free space of the outbox's file system");
  }
  std::string detail = std::to_string(*in.diskFreeBytes >> 20) + " MB free" + minimum;
  return result("disk_free", *in.diskFreeBytes >= static_cast<uint64_t>(limits.diskFreeMinBytes),
                detail);
}

common::SelfTestMsg outboxDepth(const SelfTestInputs& in, const SelfTestLimits& limits) {
  int64_t age = in.oldestQueuedAt ? std::max<int64_t>(0, in.nowMs - *in.oldestQueuedAt) : 0;
  std::string detail = std::to_string(in.outboxPending) + " waiting";
  if (in.outboxPending > 0 && in.oldestQueuedAt) detail += ", oldest " + seconds(age);
  detail += " (limits " + std::to_string(limits.outboxMaxPending) + ", " +
            seconds(limits.outboxMaxAgeMs) + ")";
  bool passed = static_cast<int64_t>(in.outboxPending) <= limits.outboxMaxPending &&
                (in.outboxPending == 0 || age <= limits.outboxMaxAgeMs);
  return result("outbox_depth", passed, detail);
}

common::SelfTestMsg keyFileMode(const SelfTestInputs& in) {
  if (!in.identityMode) return result("key_file_mode", false, "cannot read the identity file");
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(*in.identityMode & 07777));
  if ((*in.identityMode & 077) == 0)
    return result("key_file_mode", true, "mode " + std::string(mode));
  return result("key_file_mode", false,
                "mode " + std::string(mode) + ": others may read the key; chmod 600 it");
}

common::SelfTestMsg statusAge(const SelfTestInputs& in, const SelfTestLimits& limits) {
  // Friday's report still passes on Monday morning: weekends and holidays do not age it, until
  // the city raises its level and a crisis no longer waits for Monday.
  auto ageOf = [&](int64_t at) {
    if (!in.calendarExcuses) return std::max<int64_t>(0, in.nowMs - at);
    return in.calendar.schoolMillisBetween(at, in.nowMs, common::localUtcOffsetMs);
  };
  const std::string counted = in.calendarExcuses ? " of school time" : "";
  std::string stale;
  for (const auto& unit : in.units) {
    auto it = in.lastStatusAt.find(unit);
    std::string what;
    if (it == in.lastStatusAt.end()) {
      what = "never";
    } else if (ageOf(it->second) > limits.statusMaxAgeMs) {
      what = hours(ageOf(it->second));
    } else {
      continue;
    }
    stale += (stale.empty() ? "" : ", ") + unit + " " + what;
  }
  if (stale.empty()) {
    return result("status_age", true,
                  "every unit (" + std::to_string(in.units.size()) +
                      ") has a status report "
                      "within " +
                      hours(limits.statusMaxAgeMs) + counted);
  }
  return result("status_age", false,
                "no status report within " + hours(limits.statusMaxAgeMs) + counted + ": " + stale);
}

common::SelfTestMsg dutyContact(const SelfTestInputs& in) {
  if (in.dutyContactConfigured) return result("duty_contact", true, "configured");
  return result("duty_contact", false, "not configured: set [agent] duty_contact in agent.toml");
}

common::SelfTestMsg citySignal(const SelfTestInputs& in, const SelfTestLimits& limits) {
  CitySignalInputs c;
  c.nowMs = in.nowMs;
  c.connected = in.connected;
  c.connectedAt = in.connectedAt;
  c.row = in.citySignal;
  c.appliedDirective = in.appliedDirective;
  c.appliedByKey = in.appliedByKey;
  c.holdsNewestCheck = in.holdsNewestCheck;
  c.maxAgeMs = limits.citySignalMaxAgeMs;
  CitySignalAssessment a = assessCitySignal(c);
  if (!a.ok) return result("city_signal", false, a.problems.front());
  if (!in.connected) return result("city_signal", true, "not connected: not judged");
  if (!a.silentForMs) return result("city_signal", true, "connected just now");
  return result("city_signal", true,
                "newest signed word from the city " + seconds(*a.silentForMs) + " ago (limit " +
                    seconds(limits.citySignalMaxAgeMs) + ")");
}

}  // namespace

std::vector<common::SelfTestMsg> evaluateSelfTests(const SelfTestInputs& in,
                                                   const SelfTestLimits& limits) {
  return {brokerLink(in),  clockSkew(in, limits), diskFree(in, limits), outboxDepth(in, limits),
          keyFileMode(in), statusAge(in, limits), dutyContact(in),      citySignal(in, limits)};
}

std::optional<uint64_t> freeDiskBytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
}

std::string directoryOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return path.substr(0, slash == 0 ? 1 : slash);
}

common::Result<SelfTestInputs> gatherSelfTestInputs(AgentSession& session, int64_t wallNowMs) {
  const AgentConfig& config = session.config();
  SelfTestInputs in;
  in.nowMs = wallNowMs;
  in.connected = session.isConnected();
  in.endpoint = config.endpoint;
  in.clockSkewMs = session.counters().clockSkewMs;
  in.diskFreeBytes = freeDiskBytes(directoryOf(config.outboxPath));
  auto summary = Outbox::summarize(session.database());
  if (!summary) return summary.error();
  in.outboxPending = summary->pending;
  if (summary->pending > 0) in.oldestQueuedAt = summary->oldestQueuedAt;
  struct stat st {};
  if (::stat(config.identityPath.c_str(), &st) == 0) in.identityMode = st.st_mode;
  in.units = config.units;
  try {
    SQLite::Statement q(session.database(), "SELECT unit, last_status_at FROM unit_reports");
    while (q.executeStep()) in.lastStatusAt[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  } catch (const std::exception& e) {
    return common::unavailable("cannot read unit_reports in " + config.outboxPath + ": " +
                               e.what());
  }
  in.dutyContactConfigured = config.dutyContact.has_value() && !config.dutyContact->empty();
  in.citySignal = session.citySignal();
  in.connectedAt = session.connectedAt();
  auto city = CityState(session.database()).read();
  if (!city) return city.error();
  in.appliedDirective = city->directiveNumber;
  in.appliedByKey = city->directiveNumberByKey;
  in.calendar = common::SchoolCalendar(config.holidays);
  in.calendarExcuses = common::calendarExcusesSilence(common::levelName(city->level));
  if (!in.citySignal.beacon.checkId.empty()) {
    auto holds = CitySignalStore(session.database()).holdsCheck(in.citySignal.beacon.checkId);
    if (!holds) return holds.error();
    in.holdsNewestCheck = *holds;
  }
  return in;
}

std::string selfTestsToJson(const std::vector<common::SelfTestMsg>& results) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : results) {
    out.push_back({{"name", t.name}, {"passed", t.passed}, {"detail", t.detail}});
  }
  return out.dump();
}

std::vector<common::SelfTestMsg> selfTestsFromJson(const std::string& text) {
  std::vector<common::SelfTestMsg> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& t : j) {
    if (!t.is_object()) continue;
    out.push_back({t.value("name", ""), t.value("passed", false), t.value("detail", "")});
  }
  return out;
}

}  // namespace samband::agent
