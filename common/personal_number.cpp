// See personal_number.h.
#include "common/personal_number.h"

#include <cctype>

namespace samband::common {

namespace {

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

int num(std::string_view s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
  return v;
}

// `ten` holds exactly ten digits YYMMDDNNNN.
bool isValidTen(std::string_view ten) {
  int month = num(ten, 2, 2);
  int day = num(ten, 4, 2);
  if (month < 1 || month > 12) return false;
  if (day > 60) day -= 60;  // coordination number
  if (day < 1 || day > 31) return false;
  int sum = 0;
  for (size_t i = 0; i < 10; ++i) {
    int d = ten[i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

// A candidate starting at `at`: digits (6 or 8), an optional '-' or '+', then 4 digits, with no
// digit right before or after. Returns its length, or 0.
size_t matchAt(std::string_view s, size_t at) {
  if (at > 0 && isDigit(s[at - 1])) return 0;
  size_t run = 0;
  while (at + run < s.size() && isDigit(s[at + run])) ++run;
  auto endsClean = [&](size_t end) { return end == s.size() || !isDigit(s[end]); };
  if (run == 10 || run == 12) {
    std::string_view digits = s.substr(at + run - 10, 10);
    if (run == 12) {
      int century = num(s, at, 2);
      if (century != 18 && century != 19 && century != 20) return 0;
    }
    return isValidTen(digits) ? run : 0;
  }
  if ((run == 6 || run == 8) && at + run + 5 <= s.size() &&
      (s[at + run] == '-' || s[at + run] == '+')) {
    size_t tail = at + run + 1;
    for (size_t i = 0; i < 4; ++i) {
      if (!isDigit(s[tail + i])) return 0;
    }
    if (!endsClean(tail + 4)) return 0;
    if (run == 8) {
      int century = num(s, at, 2);
      if (century != 18 && century != 19 && century != 20) return 0;
    }
    std::string ten(s.substr(at + run - 6, 6));
    ten += s.substr(tail, 4);
    return isValidTen(ten) ? run + 5 : 0;
  }
  return 0;
}

}  // namespace

std::optional<std::string> findPersonalNumber(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!isDigit(text[i]) || (i > 0 && isDigit(text[i - 1]))) continue;
    if (size_t n = matchAt(text, i)) return std::string(text.substr(i, n));
  }
  return std::nullopt;
}

}  // namespace samband::common
