// `samband-broker inquiry verify DIR`: checks an inquiry export (inquiry_export.h) from its own
// files and the city's public key in it: the city's signature over the manifest and every
// file's SHA-256 (any changed, missing or added file), every frame's signed bytes against its
// columns and its JSON, every signature against keys the city's roster records prove, every
// sender's chain, the city's checkpoints over the period (nothing removed, added or reordered),
// and every picture, rebuilt from the frames and compared byte for byte.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace samband::broker::inquiry {

struct VerifyReport {
  int64_t files = 0;
  int64_t frames = 0;
  int64_t signaturesChecked = 0;
  int64_t chains = 0;
  int64_t checkpoints = 0;
  int64_t pictures = 0;
  std::vector<std::string> problems;  // each "file: what", in the order found
  std::vector<std::string> notes;     // what the export cannot prove (not failures)

  bool intact() const { return problems.empty(); }
  nlohmann::json toJson() const;
  std::string toText() const;
};

// Never throws; every finding is in the report. The process time zone is set to the export's.
// `cityKeysPath` names the city's root.pub (or a single-key installation's city.pub) to prove
// the export's keys from; empty: the export's own root.pub, else its city.pub, and a note says
// the keys were taken from the export itself.
VerifyReport verifyInquiry(const std::string& dir, const std::string& cityKeysPath = "");

}  // namespace samband::broker::inquiry
