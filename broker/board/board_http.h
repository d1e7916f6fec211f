// The board's HTTP answers, shared by its route files (board*.cpp): the answers and request
// checks every Samband web server uses (web/http.h, named here so the routes read as before),
// and the board's own 503 for a database it could not read.
#pragma once

#include <string>

#include "web/http.h"

namespace samband::broker {

using web::clampParam;
using web::cookieValue;
using web::equalSecret;
using web::isJsonRequest;
using web::problem;
using web::reply;

// 503 `unavailable` with Retry-After: the database could not be read (`what` says why).
void unavailable(httplib::Response& res, const std::string& what);

}  // namespace samband::broker
