// The picture a board request asks for: the live one, or with `?as_of=MOMENT` (a local time or
// RFC 3339, as `status --as-of` reads it) the picture rebuilt for that past moment
// (broker/picture/as_of.h). Used by the picture routes and the CSV export; docs/api.md.
#pragma once

#include <memory>
#include <optional>

#include "broker/picture/as_of.h"
#include "broker/picture/board_view.h"
#include "broker/store/store.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace samband::broker {

// Owns what a past picture's view reads; `view` is set once viewFor() returned true.
struct RequestedView {
  std::unique_ptr<PastPicture> past;
  std::optional<BoardView> view;
};

// Sets `out.view` over `store` (live) or over the picture as of the request's `as_of`. Returns
// false after answering the request itself: 400 for a moment that does not parse or is before
// the archive or in the future, 503 when the archive cannot be read.
// `scope` limits the view to the session's districts as for the live picture.
bool viewFor(const httplib::Request& req, httplib::Response& res, Store& store,
             const BoardViewRules& rules, int64_t nowMs, DistrictScope scope, RequestedView& out);

}  // namespace samband::broker
