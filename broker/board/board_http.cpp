// See board_http.h.
#include "broker/board/board_http.h"

#include <httplib.h>

namespace samband::broker {

void unavailable(httplib::Response& res, const std::string& what) {
  res.set_header("Retry-After", "5");
  problem(res, 503, "unavailable",
          "The database could not be read (" + what +
              "); the board retries by itself, check the broker's log if this persists");
}

}  // namespace samband::broker
