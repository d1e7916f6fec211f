// See board.h: who may do what on the board. Login (argon2id verification, at most two at a
// time, each attempt reserved with the throttle before the password is checked), logout, a
// user changing their own password (the old one checked like a login; the user's other sessions
// end), the session cookie, and guarded(), which every data endpoint passes through (session,
// role, same origin, CSRF token).
#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "broker/accounts/login_throttle.h"
#include "broker/accounts/users.h"
#include "broker/board/board.h"
#include "broker/board/board_http.h"
#include "broker/city/city_chain.h"
#include "common/clock.h"
#include "common/log.h"
#include "web/page_security.h"

namespace samband::broker {

using nlohmann::json;

namespace {

common::RateLimiter& loginLogLimiter() {
  // Shared by all boards of the process; only rate-limits log lines.
  static common::RateLimiter limiter(5);
  return limiter;
}

}  // namespace

json sessionJson(const Session& session, const std::string& tier) {
  return {
      {"name", session.userName},        {"role", roleName(session.role)},
      {"csrf_token", session.csrfToken}, {"expires_at", common::formatRfc3339(session.expiresAt)},
      {"districts", session.districts},  {"tier", tier}};
}

bool Board::isSameOrigin(const httplib::Request& req) const { return web::isSameOrigin(req); }

std::string Board::sessionCookie(const std::string& token, int64_t maxAgeS) const {
  return web::sessionCookie(kSessionCookie, token, maxAgeS, options_.secureCookies);
}

std::function<void(const httplib::Request&, httplib::Response&)> Board::guarded(
    Need need, SessionHandler handler) {
  return [this, need, handler = std::move(handler)](const httplib::Request& req,
                                                    httplib::Response& res) {
    try {
      std::optional<Session> session;
      {
        auto lease = readPool_.acquire();
        if (!lease) return unavailable(res, lease.error().message);
        auto found = Sessions(**lease).find(cookieValue(req, kSessionCookie), clock_.nowMs());
        if (!found) return unavailable(res, found.error().message);
        session = std::move(*found);
      }
      if (!session) {
        return problem(res, 401, "unauthorised",
                       "Not logged in, or the session has expired: log in on the board's start "
                       "page (or POST /api/login) and send the session cookie");
      }
      if (need != Need::viewer) {
        if (need == Need::operatorPost && session->role != Role::operator_) {
          return problem(res, 403, "forbidden",
                         "This action needs the operator role; your account is a viewer. Ask "
                         "an administrator to give you an operator account");
        }
        if (!isSameOrigin(req)) {
          return problem(res, 403, "cross_origin",
                         "Refused: the request came from another site. Use the board itself");
        }
        if (!equalSecret(req.get_header_value("X-CSRF-Token"), session->csrfToken)) {
          return problem(res, 403, "csrf",
                         "Missing or wrong X-CSRF-Token header; read csrf_token from "
                         "GET /api/session and send it with every POST");
        }
      }
      res.set_header("Cache-Control", "no-store");
      handler(req, res, *session);
    } catch (const std::exception& e) {
      unavailable(res, e.what());
    }
  };
}

void Board::login(const httplib::Request& req, httplib::Response& res) {
  if (!isSameOrigin(req)) {
    return problem(res, 403, "cross_origin",
                   "Refused: the login came from another site. Log in on the board itself");
  }
  json body = json::parse(req.body, nullptr, false);
  if (!isJsonRequest(req) || !body.is_object() || !body.contains("name") ||
      !body.contains("password") || !body["name"].is_string() || !body["password"].is_string()) {
    return problem(res, 400, "invalid_input",
                   "Send Content-Type: application/json with {\"name\": ..., \"password\": ...}");
  }
  std::string name = body["name"].get<std::string>();
  std::string password = body["password"].get<std::string>();
  body = json();
  const std::string addr = req.remote_addr;
  try {
    // The attempt is reserved (counted as a failure) before the password is checked, in one
    // transaction, so a burst of concurrent guesses cannot all pass the throttle.
    std::optional<LoginAdmission> admission;
    {
      auto lease = writePool_.acquire();
      if (!lease) {
        sodium_memzero(password.data(), password.size());
        return unavailable(res, lease.error().message);
      }
      auto admitted = LoginThrottle(**lease).admit(name, addr, clock_.nowMs());
      if (!admitted) {
        sodium_memzero(password.data(), password.size());
        return unavailable(res, admitted.error().message);
      }
      admission = *admitted;
    }
    for (LockScope scope : admission->lockoutsBegun) {
      if (scope == LockScope::nameAddress) counters_.lockoutsNameAddress++;
      if (scope == LockScope::address) counters_.lockoutsAddress++;
      if (scope == LockScope::name) counters_.lockoutsName++;
    }
    if (admission->waitMs > 0) {
      sodium_memzero(password.data(), password.size());
      counters_.loginsThrottled++;
      const int64_t seconds = web::retryAfterSeconds(*admission);
      res.set_header("Retry-After", std::to_string(seconds));
      return reply(res, 429,
                   {{"error", "too_many_attempts"},
                    {"retry_after_s", seconds},
                    {"scope", lockScopeName(admission->lockedBy)},
                    {"message", web::lockMessage(*admission)}});
    }
    std::optional<Credentials> user;
    {
      auto lease = readPool_.acquire();
      if (!lease) {
        sodium_memzero(password.data(), password.size());
        return unavailable(res, lease.error().message);
      }
      auto found = Users(**lease).find(name);
      if (!found) {
        sodium_memzero(password.data(), password.size());
        return unavailable(res, found.error().message);
      }
      user = *found;
    }
    counters_.passwordChecks++;
    const bool ok = passwordChecker_.check(
        user ? std::optional<std::string>(user->passwordHash) : std::nullopt, password);
    const int64_t now = clock_.nowMs();
    if (!ok) {
      // Already counted by admit().
      sodium_memzero(password.data(), password.size());
      uint64_t suppressed = 0;
      if (loginLogLimiter().allow(now, &suppressed)) {
        common::logWarn("board", "failed login from " + addr +
                                     (suppressed ? " (" + std::to_string(suppressed) +
                                                       " earlier lines suppressed)"
                                                 : std::string()));
      }
      return problem(res, 401, "wrong_credentials",
                     "Wrong user name or password. Check both and try again");
    }
    std::optional<std::string> rehash;
    if (passwordNeedsRehash(user->passwordHash)) {
      if (auto h = hashPassword(password); h) rehash = *h;
    }
    sodium_memzero(password.data(), password.size());
    auto lease = writePool_.acquire();
    if (!lease) return unavailable(res, lease.error().message);
    if (auto s = LoginThrottle(**lease).succeeded(name, addr, now); !s) {
      return unavailable(res, s.error().message);
    }
    if (auto s = Users(**lease).recordLogin(user->id, now, rehash); !s) {
      return unavailable(res, s.error().message);
    }
    auto created = Sessions(**lease).create(*user, addr, now, options_.sessionTtlMs);
    if (!created) return unavailable(res, created.error().message);
    res.set_header("Set-Cookie", sessionCookie(created->token, options_.sessionTtlMs / 1000));
    common::logInfo("board",
                    "login by " + user->name + " (" + roleName(user->role) + ") from " + addr);
    reply(res, 200, sessionJson(created->session, options_.tier));
  } catch (const std::exception& e) {
    sodium_memzero(password.data(), password.size());
    unavailable(res, e.what());
  }
}

void Board::logout(const httplib::Request& req, httplib::Response& res) {
  auto lease = writePool_.acquire();
  if (!lease) return unavailable(res, lease.error().message);
  if (auto s = Sessions(**lease).end(cookieValue(req, kSessionCookie)); !s) {
    return unavailable(res, s.error().message);
  }
  res.set_header("Set-Cookie", sessionCookie("", 0));
  reply(res, 200, {{"ok", true}});
}

}  // namespace samband::broker

namespace samband::broker {

void Board::changePassword(const httplib::Request& req, httplib::Response& res,
                           const Session& session) {
  json body = json::parse(req.body, nullptr, false);
  if (!isJsonRequest(req) || !body.is_object() || body.size() != 2 ||
      !body.contains("old_password") || !body.contains("new_password") ||
      !body["old_password"].is_string() || !body["new_password"].is_string()) {
    return problem(res, 400, "invalid_input",
                   "Send Content-Type: application/json with {\"old_password\": ..., "
                   "\"new_password\": ...}");
  }
  std::string oldPassword = body["old_password"].get<std::string>();
  std::string newPassword = body["new_password"].get<std::string>();
  body = json();
  auto wipe = [&] {
    sodium_memzero(oldPassword.data(), oldPassword.size());
    sodium_memzero(newPassword.data(), newPassword.size());
  };
  // The cheap checks first, before the slow verification.
  if (auto policy = checkPasswordPolicy(newPassword); !policy) {
    wipe();
    return problem(res, 400, "invalid_input", policy.error().message);
  }
  if (newPassword == oldPassword) {
    wipe();
    return problem(res, 400, "invalid_input",
                   "The new password is the same as the old one; choose a new one");
  }
  const std::string addr = req.remote_addr;
  try {
    // The old password is guessed as slowly as at login, so a session left open on a shared
    // screen does not become a way to find the password out.
    {
      auto lease = writePool_.acquire();
      if (!lease) {
        wipe();
        return unavailable(res, lease.error().message);
      }
      auto admitted = LoginThrottle(**lease).admit(session.userName, addr, clock_.nowMs());
      if (!admitted) {
        wipe();
        return unavailable(res, admitted.error().message);
      }
      if (int64_t wait = admitted->waitMs; wait > 0) {
        wipe();
        counters_.loginsThrottled++;
        const int64_t seconds = (wait + 999) / 1000;
        res.set_header("Retry-After", std::to_string(seconds));
        return reply(res, 429,
                     {{"error", "too_many_attempts"},
                      {"retry_after_s", seconds},
                      {"scope", lockScopeName(admitted->lockedBy)},
                      {"message", "Too many wrong passwords. Wait " + std::to_string(seconds) +
                                      " s and try again"}});
      }
    }
    std::optional<Credentials> user;
    {
      auto lease = readPool_.acquire();
      if (!lease) {
        wipe();
        return unavailable(res, lease.error().message);
      }
      auto found = Users(**lease).find(session.userName);
      if (!found) {
        wipe();
        return unavailable(res, found.error().message);
      }
      user = *found;
    }
    counters_.passwordChecks++;
    const bool ok = passwordChecker_.check(
        user ? std::optional<std::string>(user->passwordHash) : std::nullopt, oldPassword);
    sodium_memzero(oldPassword.data(), oldPassword.size());
    if (!ok) {
      sodium_memzero(newPassword.data(), newPassword.size());
      // 403, not 401: the session is still good, only the old password was wrong.
      return problem(res, 403, "wrong_password",
                     "The old password is wrong; type your current password and try again");
    }
    auto lease = writePool_.acquire();
    if (!lease) {
      sodium_memzero(newPassword.data(), newPassword.size());
      return unavailable(res, lease.error().message);
    }
    const int64_t now = clock_.nowMs();
    if (auto s = LoginThrottle(**lease).succeeded(session.userName, addr, now); !s) {
      sodium_memzero(newPassword.data(), newPassword.size());
      return unavailable(res, s.error().message);
    }
    // The new password replicates to the city's other brokers (docs/replication.md).
    Store& store = **lease;
    AccountHook record = nullptr;
    if (city_ != nullptr) {
      record = [&store, this, now](const common::AccountMsg& account) -> common::Status {
        auto issued = CityChain(store, *city_).record(account, now);
        if (!issued) return issued.error();
        return {};
      };
    }
    auto ended = Users(store).setPassword(session.userName, newPassword, now,
                                          cookieValue(req, kSessionCookie), record);
    sodium_memzero(newPassword.data(), newPassword.size());
    if (!ended) {
      if (ended.error().kind == common::ErrorKind::invalidInput) {
        return problem(res, 400, "invalid_input", ended.error().message);
      }
      return unavailable(res, ended.error().message);
    }
    common::logInfo("board", session.userName + " changed their password from " + addr + "; " +
                                 std::to_string(*ended) + " other session(s) ended");
    reply(res, 200, {{"ok", true}, {"sessions_ended", *ended}});
  } catch (const std::exception& e) {
    wipe();
    unavailable(res, e.what());
  }
}

}  // namespace samband::broker
