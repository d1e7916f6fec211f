// The readiness report of one check: per recipient answered / late / missing, time to answer,
// failed self-tests (and why), confirmation and the answer rate over its last 30 checks; as JSON,
// text and CSV for the CLI and the board, and a progress line while the CLI waits.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

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
  // For each failed self-test, a line naming the provider, the test and the agent's reason.
  std::string toText() const;
  // One line on how the check stands while `readiness run --wait` waits, e.g. "12/40 answered,
  // 0 failed, 28 waiting — 8 min left" (and "N not confirmed" when confirmation is required).
  std::string progressText(int64_t nowMs) const;
  std::string toCsv() const;
};

// The report of `checkId`, or of the newest check issued on local `date`, or of the newest
// check. notFound when there is none.
common::Result<ReadinessReport> readinessReport(Store& store,
                                                const std::optional<std::string>& checkId,
                                                const std::optional<std::string>& date,
                                                int64_t nowMs);

}  // namespace samband::broker
