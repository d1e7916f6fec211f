// One CSV field as RFC 4180 writes it, for the plain CSV files the planner and the simulator
// produce. The board's spreadsheet export also guards against formulas and uses its own
// csvField (broker/picture/board_view.h).
#pragma once

#include <string>

namespace samband::common {

// The text as it is when it holds no comma, quote, CR or LF; otherwise in double quotes with
// every quote doubled.
std::string csvField(const std::string& text);

}  // namespace samband::common
