// Fuzz target `frame`: the wire decoders (envelope, body, downlink; the agent's and the broker's
// gate) must return an error or a message that validates — never crash, hang or read out of
// bounds. Built with libFuzzer (tools/fuzz.sh) and, without it, as the corpus regression test.
#include <cstddef>
#include <cstdint>

#include "common/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::common;
  if (auto env = decodeEnvelope(data, size)) {
    if (auto body = decodeBody(env->body)) {
      // Whatever decodes must validate and survive a round trip.
      if (!validate(*body).ok()) __builtin_trap();
      auto again = decodeBody(encodeBody(*body));
      if (!again.ok()) __builtin_trap();
    }
  }
  if (auto body = decodeBody(data, size)) {
    if (!validate(*body).ok()) __builtin_trap();
  }
  (void)decodeDownlink(data, size);
  return 0;
}
