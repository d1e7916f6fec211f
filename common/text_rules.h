// Which text a frame may carry: valid UTF-8 without control characters, so that no report can
// smuggle terminal escapes or broken bytes into logs, the board or the CLI; and cutting text to a
// byte bound without splitting a character.
#pragma once

#include <cstddef>
#include <string>

namespace samband::common {

// True when `s` is valid UTF-8 without control characters other than tab and newline (no C1
// controls, surrogates, overlong forms or code points above U+10FFFF).
bool isCleanText(const std::string& s);

// At most `max` bytes of `s`, cut before a UTF-8 continuation byte so no character is split.
std::string utf8Prefix(const std::string& s, size_t max);

}  // namespace samband::common
