// Fuzz target `offline_file`: the offline transfer file (common/offline_file.h, read by
// `samband-broker import` from a USB stick) must be refused or decoded within its limits, and
// whatever decodes must encode again to bytes that decode the same.
#include <cstddef>
#include <cstdint>

#include "common/offline_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::common;
  auto file = decodeOfflineFile(data, size);
  if (!file) return 0;
  if (file->envelopes.size() > kMaxOfflineEnvelopes) __builtin_trap();
  auto again = encodeOfflineFile(*file);
  if (!again) __builtin_trap();
  auto back = decodeOfflineFile(*again);
  if (!back || back->envelopes != file->envelopes) __builtin_trap();
  return 0;
}
