// The canonical JSON of a signed body: every field of the Cap'n Proto Body (schemas/
// samband.capnp) with the schema's names, enums by name, bytes as lowercase hex, times as
// integer milliseconds, nothing left out. An inquiry export writes it beside each frame's signed
// bytes; `inquiry verify` and the export's verify.py both decode the bytes themselves and check
// that this JSON says exactly what the bytes say.
#pragma once

#include <nlohmann/json.hpp>

#include "common/messages.h"

namespace samband::broker {

nlohmann::json bodyJson(const common::Message& m);

}  // namespace samband::broker
