// HTTP answers and request checks shared by Samband's web servers (the broker's board, the
// agent's reporting page): JSON bodies with the headers every API answer carries, the error shape
// {"error": CODE, "message": "what to do"}, and the small request checks every route uses
// (parameters, cookie, secrets, declared JSON body). Every request is untrusted input.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace samband::web {

// A JSON answer with `status` and `Cache-Control: no-store`.
void reply(httplib::Response& res, int status, const nlohmann::json& body);
// An error answer: {"error": code, "message": message}. `message` says what the caller can do.
void problem(httplib::Response& res, int status, const std::string& code,
             const std::string& message);
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

}  // namespace samband::web
