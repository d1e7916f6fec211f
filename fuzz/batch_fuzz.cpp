// Fuzz target `batch` (issue 16): the batch decoder and what the gate does with a batch before
// any key is known must return an error or bodies that decode and validate — never crash, hang
// or read out of bounds. Built with libFuzzer (tools/fuzz.sh) and as the corpus regression test.
#include <cstddef>
#include <cstdint>

#include "common/batch_envelope.h"
#include "common/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::common;
  bool oversized = false;
  auto parts = decodeBatch(data, size, &oversized);
  if (!parts) return 0;
  if (parts->bodies.empty() || parts->bodies.size() > kMaxBatchReports) __builtin_trap();
  if (size > kMaxBatchBytes || oversized) __builtin_trap();
  for (const auto& b : parts->bodies) {
    if (auto body = decodeBody(b)) {
      if (!validate(*body).ok()) __builtin_trap();
    }
  }
  // A round trip keeps the bodies and the signature (when the canonical encoding fits: bodies
  // shared by several list pointers in the input are written out once each).
  const Bytes encoded = encodeBatch(parts->bodies, parts->signature);
  if (encoded.size() <= kMaxBatchBytes) {
    auto again = decodeBatch(encoded);
    if (!again.ok() || again->bodies != parts->bodies) __builtin_trap();
  }
  (void)openBatch(Bytes(data, data + size), PublicKey{});
  return 0;
}
