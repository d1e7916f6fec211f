// See readiness.h.
#include "broker/city/readiness.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sodium.h>

#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <map>
#include <sstream>

#include "broker/city/city_chain.h"
#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

bool validDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::tm localTm(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

std::string randomSuffix() {
  uint8_t b[3];
  randombytes_buf(b, sizeof b);
  return common::toHex(b, sizeof b);
}

}  // namespace

common::Result<ReadinessSchedule> loadReadinessSchedule(const common::ConfigFile& f) {
  ReadinessSchedule s;
  const std::string t = "readiness";
  auto enabled = f.boolean(t, "enabled", true);
  if (!enabled) return enabled.error();
  s.enabled = *enabled;
  auto time = f.text(t, "time", "07:30");
  if (!time) return time.error();
  int hh = -1, mm = -1;
  if (time->size() != 5 || std::sscanf(time->c_str(), "%2d:%2d", &hh, &mm) != 2 || hh < 0 ||
      hh > 23 || mm < 0 || mm > 59) {
    return common::invalidInput(f.path() + ": [readiness] time must be HH:MM, e.g. \"07:30\"");
  }
  s.minuteOfDay = hh * 60 + mm;
  auto days = f.textList(t, "weekdays", false);
  if (!days) return days.error();
  if (!days->empty()) {
    static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    s.weekdays.clear();
    for (const auto& d : *days) {
      int found = -1;
      for (int i = 0; i < 7; ++i) {
        if (d == names[i]) found = i;
      }
      if (found < 0) {
        return common::invalidInput(f.path() + ": [readiness] weekdays: '" + d +
                                    "' is not one of mon tue wed thu fri sat sun");
      }
      s.weekdays.insert(found);
    }
  }
  auto skip = f.textList(t, "skip", false);
  if (!skip) return skip.error();
  for (const auto& item : *skip) {
    auto dots = item.find("..");
    std::string from = dots == std::string::npos ? item : item.substr(0, dots);
    std::string to = dots == std::string::npos ? item : item.substr(dots + 2);
    if (!validDate(from) || !validDate(to) || to < from) {
      return common::invalidInput(f.path() + ": [readiness] skip: '" + item +
                                  "' must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD");
    }
    s.skip.emplace_back(from, to);
  }
  auto deadline = f.integer(t, "deadline_minutes", 60, 1, 24 * 60);
  if (!deadline) return deadline.error();
  s.deadlineMs = *deadline * 60 * 1000;
  auto zone = f.text(t, "time_zone", "Europe/Stockholm");
  if (!zone) return zone.error();
  s.timeZone = *zone;
  auto confirm = f.boolean(t, "require_confirmation", false);
  if (!confirm) return confirm.error();
  s.requireConfirmation = *confirm;
  return s;
}

void applyTimeZone(const std::string& zone) {
  ::setenv("TZ", zone.c_str(), 1);
  ::tzset();
}

std::string localDate(int64_t ms) {
  std::tm tm = localTm(ms);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::optional<std::string> dueDate(const ReadinessSchedule& s, int64_t nowMs) {
  if (!s.enabled) return std::nullopt;
  std::tm tm = localTm(nowMs);
  if (s.weekdays.count(tm.tm_wday) == 0) return std::nullopt;
  // Due from the time of day until the deadline would have passed: a broker that was down at
  // 07:30 and is back at 07:45 still sends today's check; one started in the afternoon does not.
  const int minute = tm.tm_hour * 60 + tm.tm_min;
  if (minute < s.minuteOfDay || minute >= s.minuteOfDay + s.deadlineMs / 60000) return std::nullopt;
  std::string date = localDate(nowMs);
  for (const auto& [from, to] : s.skip) {
    if (date >= from && date <= to) return std::nullopt;
  }
  return date;
}

common::Result<std::string> issueCheck(Store& store, const common::Identity& city,
                                       const CheckOptions& o, int64_t nowMs) {
  auto& db = store.db();
  std::string id = "rc-" + localDate(nowMs) + "-" + randomSuffix();
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      if (o.scheduledFor) {
        SQLite::Statement q(db, "SELECT id FROM readiness_checks WHERE scheduled_for=?");
        q.bind(1, *o.scheduledFor);
        if (q.executeStep()) {
          db.exec("ROLLBACK");
          return common::Error{
              common::ErrorKind::conflict,
              "a check for " + *o.scheduledFor + " exists: " + q.getColumn(0).getString()};
        }
      }
      auto recipients = enrolledProviders(store);
      common::ReadinessCheckMsg check{id, nowMs, nowMs + o.deadlineMs, o.requireConfirmation};
      CityChain chain(store, city);
      auto issued = chain.issue(check, o.mode, nowMs, recipients, "readiness_check", id);
      SQLite::Statement ins(db,
                            "INSERT INTO readiness_checks(id, issued_at, deadline, mode, "
                            "require_confirmation, scheduled_for, frame_id) VALUES(?,?,?,?,?,?,?)");
      ins.bind(1, id);
      ins.bind(2, nowMs);
      ins.bind(3, nowMs + o.deadlineMs);
      ins.bind(4, common::modeName(o.mode));
      ins.bind(5, o.requireConfirmation ? 1 : 0);
      if (o.scheduledFor) {
        ins.bind(6, *o.scheduledFor);
      } else {
        ins.bind(6);
      }
      ins.bind(7, issued.frameId);
      ins.exec();
      SQLite::Statement rec(db,
                            "INSERT INTO readiness_recipients(check_id, provider_id) VALUES(?,?)");
      for (const auto& p : recipients) {
        rec.reset();
        rec.bind(1, id);
        rec.bind(2, p);
        rec.exec();
      }
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  } catch (const std::exception& e) {
    return common::unavailable(std::string("check not issued: ") + e.what());
  }
  return id;
}

void recordReadinessAnswer(SQLite::Database& db, const std::string& provider,
                           const common::ReadinessAnswerMsg& a, int64_t sentAt, int64_t receivedAt,
                           int64_t frameId) {
  json results = json::array();
  int failed = 0;
  for (const auto& t : a.results) {
    results.push_back({{"name", t.name}, {"passed", t.passed}, {"detail", t.detail}});
    if (!t.passed) ++failed;
  }
  SQLite::Statement q(
      db,
      "INSERT INTO readiness_answers(check_id, provider_id, received_at, "
      "answered_at, results, failed, confirmed_at, frame_id) "
      "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(check_id, provider_id) DO UPDATE SET "
      "results=excluded.results, failed=excluded.failed, "
      "confirmed_at=coalesce(readiness_answers.confirmed_at, excluded.confirmed_at)");
  q.bind(1, a.checkId);
  q.bind(2, provider);
  q.bind(3, receivedAt);
  q.bind(4, sentAt);
  q.bind(5, results.dump());
  q.bind(6, failed);
  if (a.confirmed) {
    q.bind(7, receivedAt);
  } else {
    q.bind(7);
  }
  q.bind(8, frameId);
  q.exec();
  SQLite::Statement d(db,
                      "UPDATE outbound SET delivered_at=? WHERE provider_id=? AND ref=? AND "
                      "delivered_at IS NULL");
  d.bind(1, receivedAt);
  d.bind(2, provider);
  d.bind(3, a.checkId);
  d.exec();
}

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
  }
  out << "\n"
      << providers.size() << " providers: " << answered << " answered in time, " << late
      << " late, " << missing << " missing, " << failed << " with failed self-tests";
  if (requireConfirmation) out << ", " << unconfirmed << " not confirmed";
  out << "\n" << (allGood() ? "OK: every provider answered in time\n" : "NOT OK\n");
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
  auto& db = store.db();
  ReadinessReport r;
  try {
    std::string sql =
        "SELECT id, issued_at, deadline, mode, require_confirmation FROM readiness_checks ";
    std::vector<std::string> binds;
    if (checkId) {
      sql += "WHERE id=? ";
      binds.push_back(*checkId);
    }
    sql += "ORDER BY issued_at DESC";
    SQLite::Statement q(db, sql);
    for (size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i + 1), binds[i]);
    bool found = false;
    while (q.executeStep()) {
      int64_t issued = q.getColumn(1).getInt64();
      if (date && localDate(issued) != *date) continue;
      r.checkId = q.getColumn(0).getString();
      r.issuedAt = issued;
      r.deadline = q.getColumn(2).getInt64();
      r.mode = q.getColumn(3).getString();
      r.requireConfirmation = q.getColumn(4).getInt() != 0;
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
    SQLite::Statement p(db,
                        "SELECT r.provider_id, coalesce(pr.name, r.provider_id), a.received_at, "
                        "a.results, a.failed, a.confirmed_at FROM readiness_recipients r "
                        "LEFT JOIN providers pr ON pr.id=r.provider_id "
                        "LEFT JOIN readiness_answers a ON a.check_id=r.check_id AND "
                        "a.provider_id=r.provider_id WHERE r.check_id=? ORDER BY r.provider_id");
    p.bind(1, r.checkId);
    SQLite::Statement rate(db,
                           "SELECT count(*), sum(CASE WHEN a.received_at IS NOT NULL AND "
                           "a.received_at <= c.deadline THEN 1 ELSE 0 END) FROM (SELECT c.id, "
                           "c.deadline FROM readiness_checks c JOIN readiness_recipients rr ON "
                           "rr.check_id=c.id AND rr.provider_id=? WHERE c.mode=? ORDER BY "
                           "c.issued_at DESC LIMIT 30) c LEFT JOIN readiness_answers a ON "
                           "a.check_id=c.id AND a.provider_id=?");
    while (p.executeStep()) {
      ProviderReadiness pr;
      pr.provider = p.getColumn(0).getString();
      pr.name = p.getColumn(1).getString();
      if (p.getColumn(2).isNull()) {
        pr.outcome = "missing";
        r.missing++;
      } else {
        pr.receivedAt = p.getColumn(2).getInt64();
        pr.secondsToAnswer = (*pr.receivedAt - r.issuedAt) / 1000;
        pr.outcome = *pr.receivedAt <= r.deadline ? "answered" : "late";
        (pr.outcome == "answered" ? r.answered : r.late)++;
        pr.results = json::parse(p.getColumn(3).getString(), nullptr, false);
        if (pr.results.is_array()) {
          for (const auto& t : pr.results) {
            if (!t.value("passed", false)) pr.failedTests.push_back(t.value("name", "?"));
          }
        }
        if (!pr.failedTests.empty()) r.failed++;
        pr.confirmed = !p.getColumn(5).isNull() && p.getColumn(5).getInt64() <= r.deadline;
      }
      if (r.requireConfirmation && !pr.confirmed) r.unconfirmed++;
      rate.reset();
      rate.bind(1, pr.provider);
      rate.bind(2, r.mode);
      rate.bind(3, pr.provider);
      if (rate.executeStep()) {
        pr.checksCounted = rate.getColumn(0).getInt();
        int ok = rate.getColumn(1).isNull() ? 0 : rate.getColumn(1).getInt();
        pr.answerRate30 = pr.checksCounted ? static_cast<double>(ok) / pr.checksCounted : 0.0;
      }
      r.providers.push_back(std::move(pr));
    }
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot read readiness data: ") + e.what());
  }
  return r;
}

void closeDueChecks(Store& store, int64_t nowMs) {
  std::vector<std::string> due;
  {
    SQLite::Statement q(store.db(),
                        "SELECT id FROM readiness_checks WHERE closed_at IS NULL AND deadline<=?");
    q.bind(1, nowMs);
    while (q.executeStep()) due.push_back(q.getColumn(0).getString());
  }
  for (const auto& id : due) {
    auto report = readinessReport(store, id, std::nullopt, nowMs);
    if (!report) continue;
    SQLite::Statement u(store.db(),
                        "UPDATE readiness_checks SET closed_at=?, summary=? WHERE id=?");
    u.bind(1, nowMs);
    u.bind(2, report->toJson()["summary"].dump());
    u.bind(3, id);
    u.exec();
  }
}

}  // namespace samband::broker
