// The README.md of an inquiry export, in Swedish and English: what the folder is, how to check
// it without the city's systems, and what the checks prove and do not prove.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace samband::broker::inquiry {

// `meta` is the export's inquiry.json.
std::string readmeText(const nlohmann::json& meta, int64_t periodFrames, int64_t beforeFrames);

}  // namespace samband::broker::inquiry
