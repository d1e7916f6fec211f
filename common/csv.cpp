// RFC 4180 quoting of one CSV field; see csv.h.
#include "common/csv.h"

namespace samband::common {

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace samband::common
