// The board's HTTP answers, shared by its route files (board*.cpp): JSON bodies with the
// headers every API answer carries, the error shape of docs/api.md ({"error": CODE, "message":
// "what to do"}), and the small request checks all routes use (parameters, cookie, secrets).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace samband::broker {

// A JSON answer with `status` and `Cache-Control: no-store`.
void reply(httplib::Response& res, int status, const nlohmann::json& body);
// An error answer: {"error": code, "message": message}. `message` says what the caller can do.
void problem(httplib::Response& res, int status, const std::string& code,
             const std::string& message);
// 503 `unavailable` with Retry-After: the database could not be read (`what` says why).
void unavailable(httplib::Response& res, const std::string& what);
// True when the request declares a JSON body (a cross-site form cannot).
bool isJsonRequest(const httplib::Request& req);
// The integer query parameter `name`, clamped to [min, max]; `fallback` when absent or not a
// number.
int64_t clampParam(const httplib::Request& req, const char* name, int64_t fallback, int64_t min,
                   int64_t max);

// The value of cookie `name` in the request's Cookie headers; empty when absent.
std::string cookieValue(const httplib::Request& req, const std::string& name);
// Constant-time comparison of two secrets; false when either is empty or the sizes differ.
bool equalSecret(const std::string& a, const std::string& b);

}  // namespace samband::broker
