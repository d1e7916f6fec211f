// The shared web pieces on their own: the login throttle's rules as pure decisions (free
// failures, doubling locks, a name's lock binding only failing addresses, forgetting, what a
// success forgives), bearer tokens and their hashes, passwords, the same-origin check, the
// session cookie, the security headers, the listen address and the asset route.
#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/test_time.h"
#include "web/embedded_asset.h"
#include "web/listen_address.h"
#include "web/login_throttle_rules.h"
#include "web/page_security.h"
#include "web/passwords.h"
#include "web/tokens.h"

namespace samband::web {
namespace {

using samband::test_time::kNow;

// One attempt on `rows` (as a database would keep them between attempts).
int64_t attempt(FailureRows& rows, int64_t now, LoginAdmission* out = nullptr) {
  LoginAdmission a = admitAttempt(rows, ThrottleRules{}, now);
  if (out) *out = a;
  return a.waitMs;
}

TEST(ThrottleRules, ThreeFreeFailuresForANameFromOneAddressThenTheLockDoubles) {
  FailureRows rows;
  EXPECT_EQ(attempt(rows, kNow), 0);
  EXPECT_EQ(attempt(rows, kNow), 0);
  LoginAdmission a;
  EXPECT_EQ(attempt(rows, kNow, &a), 0);
  ASSERT_EQ(a.lockoutsBegun.size(), 1u);
  EXPECT_EQ(a.lockoutsBegun[0], LockScope::nameAddress);
  EXPECT_EQ(attempt(rows, kNow + 10, &a), 990);
  EXPECT_EQ(a.lockedBy, LockScope::nameAddress);
  EXPECT_EQ(rows[0]->failures, 3) << "nothing is counted while locked";
  EXPECT_EQ(attempt(rows, kNow + 1000), 0);
  EXPECT_EQ(attempt(rows, kNow + 1000), 2000);
  EXPECT_EQ(retryAfterSeconds(LoginAdmission{1500, LockScope::address, {}}), 2);
  EXPECT_NE(
      lockMessage(LoginAdmission{1500, LockScope::address, {}}).find("from your address. Wait 2 s"),
      std::string::npos);
}

TEST(ThrottleRules, TheLockNeverExceedsTheMaximumAndOldFailuresAreForgotten) {
  FailureRows rows;
  int64_t now = kNow;
  for (int i = 0; i < 40; ++i) {
    attempt(rows, now);
    now += ThrottleRules{}.maxLockMs;
  }
  EXPECT_EQ(attempt(rows, now), 0);
  EXPECT_EQ(attempt(rows, now), ThrottleRules{}.maxLockMs);
  EXPECT_EQ(attempt(rows, now + ThrottleRules{}.maxLockMs + ThrottleRules{}.forgetAfterMs), 0);
  EXPECT_EQ(rows[0]->failures, 1) << "counted afresh after an hour without failures";
}

TEST(ThrottleRules, ANamesLockBindsOnlyAddressesThatHaveBeenFailing) {
  FailureRows name;  // the name's row, shared by every address; pair/address rows per address
  for (int i = 0; i < 5; ++i) {
    FailureRows rows{std::nullopt, std::nullopt, name[2]};
    EXPECT_EQ(attempt(rows, kNow), 0);
    name[2] = rows[2];
  }
  FailureRows failing{std::nullopt, FailureCount{1, kNow, 0}, name[2]};
  LoginAdmission a;
  EXPECT_GT(attempt(failing, kNow, &a), 0);
  EXPECT_EQ(a.lockedBy, LockScope::name);
  FailureRows fresh{std::nullopt, std::nullopt, name[2]};
  EXPECT_EQ(attempt(fresh, kNow), 0) << "a fresh address is still checked";
}

TEST(ThrottleRules, ASuccessForgivesThisAddressOnly) {
  FailureRows rows{FailureCount{2, kNow, 0}, FailureCount{2, kNow, 0},
                   FailureCount{6, kNow, kNow + 5000}};
  forgiveAttempt(rows, ThrottleRules{});
  EXPECT_FALSE(rows[0].has_value());
  EXPECT_FALSE(rows[1].has_value());
  ASSERT_TRUE(rows[2].has_value());
  EXPECT_EQ(rows[2]->failures, 4);
  EXPECT_EQ(rows[2]->lockedUntil, 0) << "below the free failures: the name's lock lifts";
  const auto subjects = throttleSubjects("anna", "10.0.0.1");
  EXPECT_EQ(subjects[0], "pair:10.0.0.1\nanna");
  EXPECT_EQ(subjects[1], "addr:10.0.0.1");
  EXPECT_EQ(subjects[2], "user:anna");
  EXPECT_STREQ(lockScopeName(LockScope::nameAddress), "name_address");
}

TEST(Tokens, AreRandomOfOneShapeAndHashedToThirtyTwoBytes) {
  const std::string a = randomToken();
  const std::string b = randomToken();
  EXPECT_NE(a, b);
  EXPECT_TRUE(looksLikeToken(a));
  for (const std::string& bad : {std::string(), std::string(42, 'a'), std::string(44, 'a'),
                                 std::string(42, 'a') + "=", std::string(42, 'a') + "/"}) {
    EXPECT_FALSE(looksLikeToken(bad)) << bad;
  }
  EXPECT_EQ(tokenHash(a).size(), 32u);
  EXPECT_EQ(tokenHash(a), tokenHash(a));
  EXPECT_NE(tokenHash(a), tokenHash(b));
}

TEST(Passwords, PolicyHashAndVerify) {
  EXPECT_FALSE(checkPasswordPolicy("kort").ok());
  EXPECT_FALSE(checkPasswordPolicy("ett långt\tlösenord").ok());
  EXPECT_TRUE(checkPasswordPolicy("lösenordåäö").ok()) << "characters, not bytes";
  auto hash = hashPassword("ett långt lösenord");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(verifyPassword(*hash, "ett långt lösenord"));
  EXPECT_FALSE(verifyPassword(*hash, "ett annat lösenord"));
  EXPECT_FALSE(verifyPassword("", "x"));
  EXPECT_FALSE(passwordNeedsRehash(*hash));
  EXPECT_TRUE(isUserName("rektor.anna@skolan"));
  EXPECT_FALSE(isUserName(".anna"));
  EXPECT_FALSE(isUserName(std::string(65, 'a')));
}

TEST(PageSecurity, SameOriginCookieAndHeaders) {
  httplib::Request req;
  req.headers.emplace("Host", "127.0.0.1:8090");
  EXPECT_TRUE(isSameOrigin(req)) << "no Origin: a non-browser client (CSRF token still needed)";
  req.headers.emplace("Origin", "http://127.0.0.1:8090");
  EXPECT_TRUE(isSameOrigin(req));
  httplib::Request other;
  other.headers.emplace("Host", "127.0.0.1:8090");
  other.headers.emplace("Origin", "http://evil.example");
  EXPECT_FALSE(isSameOrigin(other));
  httplib::Request site;
  site.headers.emplace("Sec-Fetch-Site", "cross-site");
  EXPECT_FALSE(isSameOrigin(site));

  EXPECT_EQ(sessionCookie("s", "TOKEN", 60, false),
            "s=TOKEN; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
  EXPECT_EQ(sessionCookie("s", "", 0, true),
            "s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
  const auto plain = securityHeaders(false);
  const auto csp = plain.find("Content-Security-Policy");
  ASSERT_NE(csp, plain.end());
  EXPECT_EQ(csp->second.rfind("default-src 'self'; script-src 'self';", 0), 0u);
  EXPECT_EQ(plain.count("Strict-Transport-Security"), 0u);
  EXPECT_EQ(securityHeaders(true).count("Strict-Transport-Security"), 1u);
}

TEST(ListenAddress, ParsesAndNamesTheExamplePortInErrors) {
  auto v6 = parseHostPort("[::1]:8090", 8090);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 8090);
  auto bad = parseHostPort("localhost", 8090);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("\"127.0.0.1:8090\""), std::string::npos);
  EXPECT_FALSE(parseHostPort("127.0.0.1:70000").ok());
}

TEST(EmbeddedAssets, TheRouteMatchesEveryAssetButThePage) {
  static const unsigned char kData[] = {'x', 0};
  const EmbeddedAsset table[] = {{"/index.html", "text/html", "\"a\"", kData, 1},
                                 {"/form.js", "text/javascript", "\"b\"", kData, 1},
                                 {"/form.css", "text/css", "\"c\"", kData, 1}};
  EXPECT_EQ(embeddedAssetRoute(table, 3), "/(form\\.js|form\\.css)");
  EXPECT_EQ(findEmbeddedAsset(table, 3, "/form.css"), &table[2]);
  EXPECT_EQ(findEmbeddedAsset(table, 3, "/nothing"), nullptr);
}

}  // namespace
}  // namespace samband::web
