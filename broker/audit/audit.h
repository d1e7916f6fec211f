// Audit: re-verifies the whole archive from the stored bytes alone — every signature, every
// sender's sequence and hash chain — so the city can prove later what a provider said and when.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/store/store.h"

namespace samband::broker {

struct AuditReport {
  int64_t frames = 0;
  int64_t senders = 0;
  int64_t chains = 0;                 // (sender, key) chains
  int64_t badSignatures = 0;          // signature does not verify, or no key to verify it
  int64_t chainBreaks = 0;            // gap, fork, first seq not 1, prevHash mismatch
  int64_t duplicates = 0;             // the same body stored more than once
  int64_t undecodable = 0;            // bytes that do not decode, or header fields that disagree
  std::vector<std::string> problems;  // the first 100, human-readable

  bool intact() const {
    return badSignatures == 0 && chainBreaks == 0 && duplicates == 0 && undecodable == 0;
  }
  nlohmann::json toJson() const;
  std::string toText() const;
};

// Reads every frame once, in (sender, key, seq) order. Throws nothing; database errors are
// reported as problems.
AuditReport auditArchive(Store& store);

}  // namespace samband::broker
