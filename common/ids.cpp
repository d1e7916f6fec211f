// Identifier syntax checks (syntax only; the roster decides what exists).
#include "common/ids.h"

namespace samband::common {

namespace {
bool isDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

bool isProviderId(const std::string& s) {
  if (s.size() != 11 || s[6] != '-') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != 6 && !isDigit(s[i])) return false;
  }
  return true;
}

bool isUnitCode(const std::string& s) {
  if (s.size() != 8) return false;
  for (char c : s) {
    if (!isDigit(c)) return false;
  }
  return true;
}

}  // namespace samband::common
