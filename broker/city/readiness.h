// Readiness checks: the schedule (time of day, weekdays, holidays, deadline, time zone),
// issuing a city-signed check to every enrolled provider, recording answers, and the report
// (answered / late / missing, time to answer, failed self-tests, confirmation, 30-check rate).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/store/store.h"
#include "common/config.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

struct ReadinessSchedule {
  bool enabled = true;
  int minuteOfDay = 7 * 60 + 30;                          // local time of day the check goes out
  std::set<int> weekdays{1, 2, 3, 4, 5};                  // 0 = Sunday … 6 = Saturday
  std::vector<std::pair<std::string, std::string>> skip;  // inclusive YYYY-MM-DD ranges
  int64_t deadlineMs = 60 * 60 * 1000;
  std::string timeZone = "Europe/Stockholm";
  bool requireConfirmation = false;
};

// Reads [readiness] from a broker config (defaults when the table is absent).
common::Result<ReadinessSchedule> loadReadinessSchedule(const common::ConfigFile& file);

// Sets the process time zone (TZ) used for local dates. Call from main() before threads start.
void applyTimeZone(const std::string& zone);
// Local calendar date "YYYY-MM-DD" of `ms` in the process time zone.
std::string localDate(int64_t ms);

// The local date for which a scheduled check is due at `nowMs`: today, if today is a check
// day (weekday, not skipped) and the local time is between the check's time of day and that
// time plus the deadline; otherwise nullopt.
std::optional<std::string> dueDate(const ReadinessSchedule& schedule, int64_t nowMs);

struct CheckOptions {
  int64_t deadlineMs = 60 * 60 * 1000;
  bool requireConfirmation = false;
  common::Mode mode = common::Mode::ACTUAL;
  std::optional<std::string> scheduledFor;  // local date of a scheduled check
};

// Issues a check to every enrolled provider in one transaction; returns its id. A scheduled
// check whose date already has one returns ErrorKind::conflict (so the scheduler is idempotent
// across restarts).
common::Result<std::string> issueCheck(Store& store, const common::Identity& city,
                                       const CheckOptions& options, int64_t nowMs);

// Records an answer (called by the committer inside its transaction). A later answer with
// `confirmed` sets the confirmation time; the first answer's times are kept.
void recordReadinessAnswer(SQLite::Database& db, const std::string& provider,
                           const common::ReadinessAnswerMsg& answer, int64_t sentAt,
                           int64_t receivedAt, int64_t frameId);

struct ProviderReadiness {
  std::string provider;
  std::string name;
  std::string outcome;  // answered | late | missing
  std::optional<int64_t> receivedAt;
  std::optional<int64_t> secondsToAnswer;
  std::vector<std::string> failedTests;
  nlohmann::json results;  // every self-test result
  bool confirmed = false;
  double answerRate30 = 0.0;  // answered in time over the provider's last 30 checks
  int checksCounted = 0;
};

struct ReadinessReport {
  std::string checkId;
  int64_t issuedAt = 0;
  int64_t deadline = 0;
  std::string mode;
  bool requireConfirmation = false;
  bool deadlinePassed = false;
  std::vector<ProviderReadiness> providers;
  int answered = 0, late = 0, missing = 0, failed = 0, unconfirmed = 0;

  // Every provider answered in time, no self-test failed, confirmed where required.
  bool allGood() const;
  nlohmann::json toJson() const;
  std::string toText() const;
  std::string toCsv() const;
};

// The report of `checkId`, or of the newest check issued on local `date`, or of the newest
// check. notFound when there is none.
common::Result<ReadinessReport> readinessReport(Store& store,
                                                const std::optional<std::string>& checkId,
                                                const std::optional<std::string>& date,
                                                int64_t nowMs);

// Writes the summary of every check whose deadline has passed and that has none yet.
void closeDueChecks(Store& store, int64_t nowMs);

}  // namespace samband::broker
