// See board_as_of.h.
#include "broker/board/board_as_of.h"

#include <httplib.h>

#include "broker/board/board_http.h"
#include "broker/picture/moment.h"

namespace samband::broker {

bool viewFor(const httplib::Request& req, httplib::Response& res, Store& store,
             const BoardViewRules& rules, int64_t nowMs, DistrictScope scope, RequestedView& out) {
  if (!req.has_param("as_of") || req.get_param_value("as_of").empty()) {
    out.view.emplace(store, rules, nowMs, std::move(scope));
    return true;
  }
  auto moment = parseMoment(req.get_param_value("as_of"), "as_of");
  if (!moment) {
    problem(res, 400, "invalid_input", moment.error().message);
    return false;
  }
  auto past = pictureAsOf(store, *moment, nowMs);
  if (!past) {
    if (past.error().kind == common::ErrorKind::invalidInput) {
      problem(res, 400, "invalid_input", "as_of: " + past.error().message);
    } else {
      unavailable(res, past.error().message);
    }
    return false;
  }
  out.past = std::move(past).value();
  out.view.emplace(out.past->store(), rules, nowMs, std::move(scope), &out.past->moment());
  return true;
}

}  // namespace samband::broker
