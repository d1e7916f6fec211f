// Fuzz target `enroll_request`: an enrolment request (JSON written by `samband-agent init`,
// carried to the city and read by `samband-broker enroll`) must be refused or parsed with its
// signature verified; a parsed one never carries a weak transport key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/enrollment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::common;
  static const bool ready = [] {
    initSodium();
    return true;
  }();
  (void)ready;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto request = parseEnrollRequest(text, "fuzz.json");
  if (!request) return 0;
  if (isSmallOrderCurveKey(request->curvePublic)) __builtin_trap();
  auto again = parseEnrollRequest(enrollRequestToJson(*request), "again.json");
  if (!again) __builtin_trap();
  return 0;
}
