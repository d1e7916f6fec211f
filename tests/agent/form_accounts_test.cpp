// The reporting page's accounts on a real outbox.db: users (name rule, password policy, units of
// this agent only, argon2id hash), sessions (hashed token, CSRF token, expiry, ended with the
// user), the login throttle's shared rules persisted in the file, API tokens (shown once, kept
// hashed, units), and the report log that tells each report's fate (queued, delivered with its
// seq, refused with the broker's reason).
#include "agent/form_accounts.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/agent_identity.h"
#include "agent/api_tokens.h"
#include "agent/database.h"
#include "agent/outbox.h"
#include "agent/report_log.h"
#include "agent/report_submit.h"
#include "tests/agent/test_support.h"
#include "tests/support/test_time.h"
#include "web/passwords.h"
#include "web/tokens.h"

namespace samband::agent {
namespace {

using samband::test_time::kNow;
constexpr const char* kPassword = "ett långt lösenord";

class FormAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = test::makeAgent(dir_.path(), "tcp://127.0.0.1:1");
    auto db = openAgentDatabase(agent_.config.outboxPath, OpenMode::createIfMissing);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
  }
  const AgentConfig& config() const { return agent_.config; }
  FormUser user(const std::string& name) {
    auto found = FormAccounts(*db_).findUser(name);
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : FormUser{};
  }

  test::TempDir dir_;
  test::AgentFixture agent_;
  std::unique_ptr<SQLite::Database> db_;
};

TEST_F(FormAccountsTest, TheMigrationAddsTheTablesAndInitWritesFormCommentedOut) {
  EXPECT_EQ(schemaVersionOf(*db_), kSchemaVersion);
  EXPECT_GE(kSchemaVersion, 11);  // migration 11 added these tables; later ones add others
  for (const char* table : {"form_users", "form_user_units", "form_sessions", "form_login_failures",
                            "api_tokens", "api_token_units", "report_log"}) {
    EXPECT_EQ(db_->execAndGet(std::string("SELECT COUNT(*) FROM sqlite_master WHERE name = '") +
                              table + "'")
                  .getInt(),
              1)
        << table;
  }
  std::ifstream in(agent_.agentDir + "/agent.toml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("[form]\n"), std::string::npos);
  EXPECT_NE(text.str().find("# listen = \"127.0.0.1:8090\"\n"), std::string::npos);
  EXPECT_FALSE(config().form.has_value()) << "commented out: no page until it is set";
}

TEST_F(FormAccountsTest, AddsAUserWithAHashedPasswordAndItsUnits) {
  FormAccounts accounts(*db_);
  ASSERT_TRUE(
      accounts.addUser("rektor.anna", {"87654321", "12345678"}, kPassword, config(), kNow).ok());
  FormUser u = user("rektor.anna");
  EXPECT_EQ(u.units, (std::vector<std::string>{"12345678", "87654321"}));
  EXPECT_EQ(u.passwordHash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(u.passwordHash.find(kPassword), std::string::npos);
  EXPECT_TRUE(web::verifyPassword(u.passwordHash, kPassword));
  auto listed = accounts.listUsers(kNow);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "rektor.anna");
  EXPECT_EQ((*listed)[0].units.size(), 2u);
  EXPECT_TRUE((*listed)[0].passwordHash.empty()) << "the list never carries hashes";
}

TEST_F(FormAccountsTest, RefusesBadNamesWeakPasswordsForeignUnitsAndTakenNames) {
  FormAccounts accounts(*db_);
  auto s = accounts.addUser("-anna", {"12345678"}, kPassword, config(), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("is not a valid user name"), std::string::npos);
  s = accounts.addUser("anna", {"12345678"}, "kort", config(), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("too short"), std::string::npos);
  s = accounts.addUser("anna", {"11112222"}, kPassword, config(), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--unit '11112222' is not one of this agent's units "
                                   "(12345678, 87654321)"),
            std::string::npos)
      << s.error().message;
  s = accounts.addUser("anna", {}, kPassword, config(), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("give at least one --unit"), std::string::npos);
  s = accounts.addUser("anna", {"12345678", "12345678"}, kPassword, config(), kNow);
  ASSERT_FALSE(s.ok());
  ASSERT_TRUE(accounts.addUser("anna", {"12345678"}, kPassword, config(), kNow).ok());
  s = accounts.addUser("anna", {"87654321"}, kPassword, config(), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, common::ErrorKind::conflict);
  EXPECT_EQ(user("anna").units, std::vector<std::string>{"12345678"}) << "unchanged";
  s = accounts.removeUser("bertil");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, common::ErrorKind::notFound);
}

TEST_F(FormAccountsTest, SessionsAreFoundByTheirTokenOnlyWhileLiveAndEndWithTheUser) {
  FormAccounts accounts(*db_);
  ASSERT_TRUE(accounts.addUser("anna", {"12345678"}, kPassword, config(), kNow).ok());
  auto created = accounts.createSession(user("anna"), "10.0.0.1", kNow, 60'000);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(web::looksLikeToken(created->token));
  EXPECT_TRUE(web::looksLikeToken(created->session.csrfToken));
  EXPECT_NE(created->token, created->session.csrfToken);
  // The file keeps the hash, not the token.
  SQLite::Statement q(*db_, "SELECT token_hash FROM form_sessions");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), web::tokenHash(created->token));
  q.reset();

  auto found = accounts.findSession(created->token, config(), kNow + 1000);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->userName, "anna");
  EXPECT_EQ((*found)->csrfToken, created->session.csrfToken);
  EXPECT_TRUE((*found)->mayReportFor("12345678"));
  EXPECT_FALSE((*found)->mayReportFor("87654321"));
  for (const std::string& bad :
       {std::string(), std::string("kort"), web::randomToken(), created->session.csrfToken}) {
    auto none = accounts.findSession(bad, config(), kNow);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << bad;
  }
  auto expired = accounts.findSession(created->token, config(), kNow + 60'000);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());

  // A unit taken out of agent.toml is taken out of the session too.
  AgentConfig smaller = config();
  smaller.units = {"87654321"};
  auto narrowed = accounts.findSession(created->token, smaller, kNow);
  ASSERT_TRUE(narrowed.ok() && narrowed->has_value());
  EXPECT_TRUE((*narrowed)->units.empty());

  ASSERT_TRUE(accounts.removeUser("anna").ok());
  auto gone = accounts.findSession(created->token, config(), kNow);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(db_->execAndGet("SELECT COUNT(*) FROM form_sessions").getInt(), 0);
}

TEST_F(FormAccountsTest, LogoutEndsOnlyThatSession) {
  FormAccounts accounts(*db_);
  ASSERT_TRUE(accounts.addUser("anna", {"12345678"}, kPassword, config(), kNow).ok());
  auto a = accounts.createSession(user("anna"), "10.0.0.1", kNow, 60'000);
  auto b = accounts.createSession(user("anna"), "10.0.0.2", kNow, 60'000);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(accounts.endSession(a->token).ok());
  EXPECT_FALSE(accounts.findSession(a->token, config(), kNow)->has_value());
  EXPECT_TRUE(accounts.findSession(b->token, config(), kNow)->has_value());
}

TEST_F(FormAccountsTest, TheThrottleFollowsTheSharedRulesAndSurvivesAReopen) {
  auto attempt = [&](SQLite::Database& db, const std::string& addr, int64_t now) {
    auto a = FormAccounts(db).admitLogin("anna", addr, now);
    EXPECT_TRUE(a.ok());
    return a.ok() ? a->waitMs : -1;
  };
  EXPECT_EQ(attempt(*db_, "10.0.0.1", kNow), 0);
  EXPECT_EQ(attempt(*db_, "10.0.0.1", kNow), 0);
  EXPECT_EQ(attempt(*db_, "10.0.0.1", kNow), 0);  // the third failure locks for 1 s
  {
    // The counts are in the file: another connection (a restarted agent) sees the lock.
    auto other = openAgentDatabase(config().outboxPath, OpenMode::mustExist);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(attempt(**other, "10.0.0.1", kNow), 1000);
    auto refused = FormAccounts(**other).admitLogin("anna", "10.0.0.1", kNow);
    EXPECT_EQ(refused->lockedBy, web::LockScope::nameAddress);
  }
  EXPECT_EQ(attempt(*db_, "10.0.0.2", kNow), 0) << "another address is not locked out";
  ASSERT_TRUE(FormAccounts(*db_).loginSucceeded("anna", "10.0.0.2", kNow).ok());
  EXPECT_EQ(attempt(*db_, "10.0.0.1", kNow + 500), 500) << "her success does not free a guesser";
  EXPECT_EQ(attempt(*db_, "10.0.0.1", kNow + 1000), 0);
  EXPECT_EQ(attempt(*db_, "10.0.0.1", kNow + 1000), 2000) << "the lock doubles";
  // Rows older than a day are forgotten in the next attempt's transaction.
  EXPECT_EQ(attempt(*db_, "10.9.9.9", kNow + web::kKeepFailureRowsMs + 10'000), 0);
  EXPECT_EQ(db_->execAndGet("SELECT COUNT(*) FROM form_login_failures").getInt(), 3);
}

TEST_F(FormAccountsTest, ApiTokensAreShownOnceKeptHashedAndLimitedToTheirUnits) {
  ApiTokens tokens(*db_);
  auto token = tokens.add("skolsystem", {"12345678"}, config(), kNow);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_TRUE(web::looksLikeToken(*token));
  SQLite::Statement q(*db_, "SELECT token_hash FROM api_tokens");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), web::tokenHash(*token));
  q.reset();

  auto found = tokens.authenticate(*token, config(), kNow + 5);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->name, "skolsystem");
  EXPECT_TRUE((*found)->mayReportFor("12345678"));
  EXPECT_FALSE((*found)->mayReportFor("87654321"));
  auto listed = tokens.list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].lastUsedAt.value_or(0), kNow + 5);

  for (const std::string& bad :
       {std::string(), std::string("Bearer"), web::randomToken(), token->substr(1) + "x"}) {
    auto none = tokens.authenticate(bad, config(), kNow);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << bad;
  }
  auto taken = tokens.add("skolsystem", {"87654321"}, config(), kNow);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().kind, common::ErrorKind::conflict);
  auto foreign = tokens.add("annat", {"99999999"}, config(), kNow);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("is not one of this agent's units"), std::string::npos);

  ASSERT_TRUE(tokens.remove("skolsystem").ok());
  auto removed = tokens.authenticate(*token, config(), kNow);
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(removed->has_value());
  EXPECT_EQ(tokens.remove("skolsystem").error().kind, common::ErrorKind::notFound);
}

TEST_F(FormAccountsTest, TheReportLogTellsQueuedDeliveredAndRefused) {
  ReportRequest first;
  first.unit = "12345678";
  first.operational = "reduced";
  first.pupilsPresent = 120;
  first.capacity = {"grundskola:4:52:3:6"};
  auto queued = submitReport(*db_, config(), first, kNow, [&](const std::vector<QueuedMessage>& q) {
    std::vector<int64_t> ids;
    for (const auto& m : q) ids.push_back(m.rowId);
    return setReportSource(*db_, ids, "form:anna");
  });
  ASSERT_TRUE(queued.ok()) << queued.error().message;
  ASSERT_EQ(queued->size(), 2u);
  ReportRequest second;
  second.unit = "12345678";
  second.note = "andra";
  ASSERT_TRUE(submitReport(*db_, config(), second, kNow + 1).ok());

  auto log = recentReports(*db_, "12345678", 10);
  ASSERT_TRUE(log.ok()) << log.error().message;
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].seq, 3u) << "newest first";
  EXPECT_EQ((*log)[0].source, "");
  EXPECT_EQ((*log)[2].kind, "unit_status");
  EXPECT_EQ((*log)[2].source, "form:anna");
  for (const auto& r : *log) EXPECT_EQ(r.fate, ReportFate::queued);
  EXPECT_TRUE(recentReports(*db_, "87654321", 10)->empty());

  auto identity = loadAgentIdentity(config());
  ASSERT_TRUE(identity.ok());
  Outbox outbox(*db_, **identity);
  ASSERT_EQ(*outbox.ack(2), 2u);
  auto head = outbox.acked();
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(outbox
                  .deadLetter((*log)[0].rowId, "unit_not_owned", "12345678", kNow + 9, head->seq,
                              head->hash)
                  .ok());
  log = recentReports(*db_, "12345678", 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].fate, ReportFate::refused);
  EXPECT_EQ((*log)[0].refusal, "unit_not_owned");
  EXPECT_EQ((*log)[0].refusalDetail, "12345678");
  EXPECT_EQ((*log)[0].refusedAt, kNow + 9);
  EXPECT_EQ((*log)[1].fate, ReportFate::delivered);
  EXPECT_EQ((*log)[1].seq, 2u);
  EXPECT_TRUE((*log)[1].deliveredAt.has_value());
  EXPECT_EQ((*log)[2].fate, ReportFate::delivered);
  EXPECT_EQ(std::string(reportFateName((*log)[1].fate)), "delivered");
}

TEST_F(FormAccountsTest, TheReportLogKeepsTheNewestRowsPerUnit) {
  ReportRequest r;
  r.unit = "12345678";
  r.operational = "normal";
  for (int i = 0; i < kKeepLoggedReportsPerUnit + 5; ++i) {
    ASSERT_TRUE(submitReport(*db_, config(), r, kNow + i).ok());
  }
  auto log = recentReports(*db_, "12345678", 1000);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(static_cast<int64_t>(log->size()), kKeepLoggedReportsPerUnit);
  EXPECT_EQ(log->front().seq, static_cast<uint64_t>(kKeepLoggedReportsPerUnit + 5));
}

}  // namespace
}  // namespace samband::agent
