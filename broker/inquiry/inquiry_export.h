// `samband-broker inquiry export`: a self-contained folder an inquiry can check without the
// broker (docs/inquiry.md): every signed frame of a period, what is needed before it (each
// chain from the oldest frame the start picture rests on, and the city's whole chain with its
// roster records), the city's public key and checkpoints around the period, the picture at the
// start, at every full hour and at the end (JSON and CSV, as `status --as-of` and the board's
// CSV give them), a README in Swedish and English, a stand-alone verify.py, and a manifest of
// SHA-256 hashes signed by the city.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/picture/liveness.h"
#include "broker/store/store.h"
#include "common/identity.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker::inquiry {

// What the pictures are rendered with; written into inquiry.json so the verifier renders the
// same.
struct PictureRules {
  LivenessRules liveness;
  int64_t reportOldAfterMs = 26 * 3600 * 1000LL;
  std::vector<common::HolidayRange> holidays;  // [calendar] of broker.toml
  std::string timeZone = "Europe/Stockholm";
};

struct ExportOptions {
  int64_t fromMs = 0;
  int64_t toMs = 0;
  std::string outDir;
  PictureRules rules;
};

struct ExportSummary {
  int64_t fromMs = 0;          // the period's start: --from, or the archive's start if later
  int64_t framesBefore = 0;    // frames exported from before the period
  int64_t framesInPeriod = 0;  // frames of the period (to its covering checkpoints)
  int64_t pictures = 0;
  int64_t files = 0;
  int64_t uncoveredFrames = 0;  // period frames no checkpoint covers yet
  int64_t checkpoints = 0;
};

// Writes the folder (which must not exist, or be empty). `city` signs the manifest. A period
// starting before the archive starts at its first frame. The process time zone must be
// rules.timeZone. Errors: invalidInput (period, folder), unavailable.
common::Result<ExportSummary> exportInquiry(Store& archive, const common::Identity& city,
                                            const ExportOptions& options, int64_t nowMs);

// The verify.py shipped in every export (broker/inquiry/verify_inquiry.py).
const std::string& verifyScript();

}  // namespace samband::broker::inquiry
