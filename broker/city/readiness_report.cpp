// See readiness_report.h.
#include "broker/city/readiness_report.h"

#include <iomanip>
#include <sstream>

#include "broker/city/readiness_schedule.h"
#include "broker/store/city_store.h"
#include "common/clock.h"

namespace samband::broker {

using nlohmann::json;

bool ReadinessReport::allGood() const {
  return missing == 0 && late == 0 && failed == 0 && unconfirmed == 0;
}

json ReadinessReport::toJson() const {
  json rows = json::array();
  for (const auto& p : providers) {
    rows.push_back(
        {{"provider", p.provider},
         {"name", p.name},
         {"outcome", p.outcome},
         {"received_at", p.receivedAt ? json(common::formatRfc3339(*p.receivedAt)) : json(nullptr)},
         {"seconds_to_answer", p.secondsToAnswer ? json(*p.secondsToAnswer) : json(nullptr)},
         {"failed_self_tests", p.failedTests},
         {"self_tests", p.results},
         {"confirmed", p.confirmed},
         {"answer_rate_30", p.answerRate30},
         {"checks_counted", p.checksCounted}});
  }
  return {{"check_id", checkId},
          {"issued_at", common::formatRfc3339(issuedAt)},
          {"deadline", common::formatRfc3339(deadline)},
          {"deadline_passed", deadlinePassed},
          {"mode", mode},
          {"require_confirmation", requireConfirmation},
          {"summary",
           {{"providers", providers.size()},
            {"answered", answered},
            {"late", late},
            {"missing", missing},
            {"failed_self_tests", failed},
            {"unconfirmed", unconfirmed},
            {"all_good", allGood()}}},
          {"providers", rows}};
}

std::string ReadinessReport::toText() const {
  std::ostringstream out;
  out << "Readiness check " << checkId << " (" << mode << "), issued "
      << common::formatRfc3339(issuedAt) << ", deadline " << common::formatRfc3339(deadline)
      << (deadlinePassed ? "" : " (still open)") << "\n\n";
  for (const auto& p : providers) {
    out << "  " << std::left << std::setw(12) << p.provider << " " << std::setw(8) << p.outcome;
    if (p.secondsToAnswer) out << " in " << *p.secondsToAnswer << " s";
    if (!p.failedTests.empty()) {
      out << "  FAILED:";
      for (const auto& t : p.failedTests) out << " " << t;
    }
    if (requireConfirmation) out << (p.confirmed ? "  confirmed" : "  NOT confirmed");
    out << "  rate " << static_cast<int>(p.answerRate30 * 100 + 0.5) << "% of " << p.checksCounted
        << "  " << p.name << "\n";
    // Why, in the agent's words (the JSON carries the same detail under self_tests).
    if (p.results.is_array()) {
      for (const auto& t : p.results) {
        if (t.value("passed", false)) continue;
        const std::string detail = t.value("detail", std::string());
        out << "  " << std::setw(12) << p.provider << " failed: " << t.value("name", "?");
        if (!detail.empty()) out << " (" << detail << ")";
        out << "\n";
      }
    }
  }
  out << "\n"
      << providers.size() << " providers: " << answered << " answered in time, " << late
      << " late, " << missing << " missing, " << failed << " with failed self-tests";
  if (requireConfirmation) out << ", " << unconfirmed << " not confirmed";
  out << "\n" << (allGood() ? "OK: every provider answered in time\n" : "NOT OK\n");
  return out.str();
}

std::string ReadinessReport::progressText(int64_t nowMs) const {
  std::ostringstream out;
  out << (answered + late) << "/" << providers.size() << " answered, " << failed << " failed, "
      << missing << " waiting";
  if (requireConfirmation) out << ", " << unconfirmed << " not confirmed";
  const int64_t leftMs = deadline - nowMs;
  if (leftMs <= 0) {
    out << " \u2014 deadline passed";
  } else if (leftMs < 60'000) {
    out << " \u2014 " << (leftMs + 999) / 1000 << " s left";
  } else {
    out << " \u2014 " << (leftMs + 59'999) / 60'000 << " min left";
  }
  return out.str();
}

std::string ReadinessReport::toCsv() const {
  std::ostringstream out;
  out << "check_id,provider,outcome,received_at,seconds_to_answer,failed_self_tests,confirmed,"
         "answer_rate_30\n";
  for (const auto& p : providers) {
    std::string failedList;
    for (const auto& t : p.failedTests) failedList += (failedList.empty() ? "" : ";") + t;
    out << checkId << "," << p.provider << "," << p.outcome << ","
        << (p.receivedAt ? common::formatRfc3339(*p.receivedAt) : "") << ","
        << (p.secondsToAnswer ? std::to_string(*p.secondsToAnswer) : "") << "," << failedList << ","
        << (p.confirmed ? "yes" : "no") << "," << p.answerRate30 << "\n";
  }
  return out.str();
}

common::Result<ReadinessReport> readinessReport(Store& store,
                                                const std::optional<std::string>& checkId,
                                                const std::optional<std::string>& date,
                                                int64_t nowMs) {
  auto fail = [](const common::Error& e) {
    return common::unavailable("cannot read readiness data: " + e.message);
  };
  CityStore cityStore(store);
  auto checks = cityStore.checksNewestFirst(checkId);
  if (!checks) return fail(checks.error());
  ReadinessReport r;
  bool found = false;
  for (const auto& c : *checks) {
    if (date && localDate(c.issuedAt) != *date) continue;
    r.checkId = c.id;
    r.issuedAt = c.issuedAt;
    r.deadline = c.deadline;
    r.mode = c.mode;
    r.requireConfirmation = c.requireConfirmation;
    found = true;
    break;
  }
  if (!found) {
    return common::Error{common::ErrorKind::notFound,
                         checkId ? "no readiness check " + *checkId
                         : date  ? "no readiness check was issued on " + *date
                                 : "no readiness check has been issued yet; run "
                                   "'samband-broker readiness run'"};
  }
  r.deadlinePassed = nowMs >= r.deadline;
  auto answers = cityStore.answersTo(r.checkId, r.mode);
  if (!answers) return fail(answers.error());
  for (auto& a : *answers) {
    ProviderReadiness pr;
    pr.provider = std::move(a.provider);
    pr.name = std::move(a.name);
    if (!a.receivedAt) {
      pr.outcome = "missing";
      r.missing++;
    } else {
      pr.receivedAt = a.receivedAt;
      pr.secondsToAnswer = (*pr.receivedAt - r.issuedAt) / 1000;
      pr.outcome = *pr.receivedAt <= r.deadline ? "answered" : "late";
      (pr.outcome == "answered" ? r.answered : r.late)++;
      pr.results = json::parse(a.results, nullptr, false);
      if (pr.results.is_array()) {
        for (const auto& t : pr.results) {
          if (!t.value("passed", false)) pr.failedTests.push_back(t.value("name", "?"));
        }
      }
      if (!pr.failedTests.empty()) r.failed++;
      pr.confirmed = a.confirmedAt && *a.confirmedAt <= r.deadline;
    }
    if (r.requireConfirmation && !pr.confirmed) r.unconfirmed++;
    pr.checksCounted = a.checksCounted;
    pr.answerRate30 =
        pr.checksCounted ? static_cast<double>(a.answeredInTime) / pr.checksCounted : 0.0;
    r.providers.push_back(std::move(pr));
  }
  return r;
}

}  // namespace samband::broker
