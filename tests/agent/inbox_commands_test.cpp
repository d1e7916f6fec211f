// `samband-agent inbox`, `confirm` and `ack` against a real agent directory whose inbox holds
// what `run` would have stored: what they queue (signed into the outbox, in the message's own
// mode), what they refuse (unknown, refused, not yet handled, past the deadline) and the exit
// codes of the real binary.
#include "agent/inbox_commands.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/city_actions.h"
#include "agent/database.h"
#include "agent/inbox.h"
#include "agent/outbox.h"
#include "agent/selftest.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/ids.h"
#include "tests/agent/test_support.h"
#include "tests/support/process.h"

namespace samband::agent {
namespace {

using common::Bytes;

class InboxCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1"); }

  Bytes cityEnvelope(const common::Identity& signer, common::Payload payload, common::Mode mode) {
    return cityChain.next(signer, std::move(payload), mode, now);
  }

  // Stores a city-signed message as `run` does and records `state` ("" = not yet handled).
  void store(common::Payload payload, const std::string& state, const std::string& reason = "",
             common::Mode mode = common::Mode::ACTUAL) {
    auto verified = verifyCityMessage(cityEnvelope(*agent.city, std::move(payload), mode),
                                      common::CityKeyring(agent.config.citySignPublic), 0);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::createIfMissing);
    Inbox inbox(**db);
    auto id = inbox.store(*verified, now - 1000);
    ASSERT_TRUE(id.ok() && *id > 0);
    if (!state.empty()) {
      ASSERT_TRUE(inbox.finish(*id, state, reason, state == "answered" ? results() : "", now).ok());
    }
  }

  // What the session does with one that fails verification.
  void storeForged(common::Payload payload) {
    auto forger = common::Identity::generate(common::kCitySenderId);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::createIfMissing);
    Inbox inbox(**db);
    ASSERT_TRUE(inbox
                    .storeRefused(cityEnvelope(*forger, std::move(payload), common::Mode::ACTUAL),
                                  "forged: not signed by the pinned city key", now)
                    .ok());
  }

  static std::string results() {
    return R"([{"name":"broker_link","passed":true,"detail":"connected"},)"
           R"({"name":"duty_contact","passed":false,"detail":"not configured"}])";
  }

  common::ReadinessCheckMsg check(const std::string& id, int64_t deadline, bool confirm = true) {
    return common::ReadinessCheckMsg{id, now - 2000, deadline, confirm, {}};
  }

  common::DirectiveMsg directive(const std::string& id, uint64_t number) {
    common::DirectiveMsg d;
    d.directiveId = id;
    d.number = number;
    d.text = "Kontrollera reservkraften";
    d.requireAck = true;
    d.expiresAt = now + 3'600'000;
    return d;
  }

  // The bodies waiting in the outbox, decoded.
  std::vector<common::Message> queued() {
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
    auto identity = common::Identity::load(agent.config.identityPath);
    Outbox outbox(**db, **identity);
    std::vector<common::Message> out;
    auto rows = outbox.pendingFrom(0, 100);
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) return out;
    for (const auto& row : *rows) {
      auto parts = common::decodeEnvelope(row.envelope);
      auto body = common::decodeBody(parts->body);
      EXPECT_TRUE(body.ok());
      out.push_back(std::move(body).value());
    }
    return out;
  }

  test::TempDir dir;
  test::AgentFixture agent;
  const int64_t now = common::SystemClock().nowMs();
  test::CityChainWriter cityChain;
};

TEST_F(InboxCommandsTest, ConfirmQueuesASecondAnswerWithTheFirstResultsInTheChecksMode) {
  store(check("rc-1", now + 60000), "answered", "", common::Mode::EXERCISE);
  auto done = confirmCheck(agent.config, "rc-1", now);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_NE(done->find("Confirmed readiness check rc-1"), std::string::npos) << *done;
  EXPECT_NE(done->find("not running"), std::string::npos) << *done;
  auto bodies = queued();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0].mode, common::Mode::EXERCISE);
  const auto& a = std::get<common::ReadinessAnswerMsg>(bodies[0].payload);
  EXPECT_EQ(a.checkId, "rc-1");
  EXPECT_TRUE(a.confirmed);
  EXPECT_EQ(a.receivedAt, now - 1000);
  ASSERT_EQ(a.results.size(), 2u);
  EXPECT_EQ(a.results[1].name, "duty_contact");
  EXPECT_FALSE(a.results[1].passed);

  auto again = confirmCheck(agent.config, "rc-1", now + 1);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->find("already confirmed"), std::string::npos) << *again;
  EXPECT_EQ(queued().size(), 1u);
}

TEST_F(InboxCommandsTest, ConfirmRefusesUnknownRefusedUnansweredAndExpiredChecks) {
  auto unknown = confirmCheck(agent.config, "rc-none", now);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, common::ErrorKind::notFound);
  EXPECT_NE(unknown.error().message.find("samband-agent inbox"), std::string::npos);

  storeForged(check("rc-forged", now + 60000));
  auto forged = confirmCheck(agent.config, "rc-forged", now);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(forged.error().message.find("was refused (forged"), std::string::npos)
      << forged.error().message;

  store(check("rc-new", now + 60000), "");
  auto unanswered = confirmCheck(agent.config, "rc-new", now);
  ASSERT_FALSE(unanswered.ok());
  EXPECT_NE(unanswered.error().message.find("has not answered"), std::string::npos);

  store(check("rc-old", now - 1), "answered");
  auto expired = confirmCheck(agent.config, "rc-old", now);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(expired.error().message.find("deadline"), std::string::npos) << expired.error().message;
  EXPECT_TRUE(queued().empty());
}

TEST_F(InboxCommandsTest, AckQueuesAPersonsAcknowledgementOnceAndPrefersTheGenuineCopy) {
  store(directive("D-000001", 1), "applied");
  storeForged(directive("D-000001", 1));  // a forged copy under the same id
  auto done = acknowledgeDirective(agent.config, "D-000001", now);
  ASSERT_TRUE(done.ok()) << done.error().message;
  auto bodies = queued();
  ASSERT_EQ(bodies.size(), 1u);
  const auto& ack = std::get<common::DirectiveAckMsg>(bodies[0].payload);
  EXPECT_EQ(ack.directiveId, "D-000001");
  EXPECT_EQ(ack.kind, common::AckKind::ACKNOWLEDGED);
  // It names the city key that signed the directive (issue 15: two brokers, one id).
  EXPECT_EQ(ack.issuerKeyId, agent.city->keyId());
  auto again = acknowledgeDirective(agent.config, "D-000001", now);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->find("already acknowledged"), std::string::npos);
  EXPECT_EQ(queued().size(), 1u);
}

// Two brokers cut off from each other may both number a directive D-000001 (agents keep them
// apart by signing key): each is acknowledged in turn, the ack naming its signer's key.
TEST_F(InboxCommandsTest, AckTakesTwoAppliedDirectivesOfOneIdInTurn) {
  store(directive("D-000001", 1), "applied");
  auto second = directive("D-000001", 1);
  second.text = "Från den andra brokern";
  store(second, "applied");
  ASSERT_TRUE(acknowledgeDirective(agent.config, "D-000001", now).ok());
  ASSERT_TRUE(acknowledgeDirective(agent.config, "D-000001", now).ok());
  auto third = acknowledgeDirective(agent.config, "D-000001", now);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->find("already acknowledged"), std::string::npos) << *third;
  auto bodies = queued();
  ASSERT_EQ(bodies.size(), 2u);
  for (const auto& b : bodies) {
    EXPECT_EQ(std::get<common::DirectiveAckMsg>(b.payload).issuerKeyId, agent.city->keyId());
  }
}

TEST_F(InboxCommandsTest, AckRefusesUnknownRefusedAndUnappliedDirectives) {
  auto unknown = acknowledgeDirective(agent.config, "D-000404", now);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, common::ErrorKind::notFound);

  store(directive("D-000002", 2), "refused", "expired: it expired at 2026-11-24T10:00:00.000Z");
  auto refused = acknowledgeDirective(agent.config, "D-000002", now);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(refused.error().message.find("was refused (expired"), std::string::npos)
      << refused.error().message;

  storeForged(directive("D-000003", 3));
  EXPECT_FALSE(acknowledgeDirective(agent.config, "D-000003", now).ok());

  store(directive("D-000004", 4), "");
  auto pending = acknowledgeDirective(agent.config, "D-000004", now);
  ASSERT_FALSE(pending.ok());
  EXPECT_NE(pending.error().message.find("has not applied"), std::string::npos);
  EXPECT_TRUE(queued().empty());
}

TEST_F(InboxCommandsTest, InboxListsEveryMessageWithItsStateAndReason) {
  auto d = directive("D-000001", 1);
  d.level = common::ReadinessLevel::HEIGHTENED;
  store(d, "applied");
  store(directive("D-000002", 2), "refused", "replay: number 2 is not above 3");
  storeForged(directive("D-000099", 99));
  store(check("rc-1", now + 60000), "answered");
  ASSERT_TRUE(acknowledgeDirective(agent.config, "D-000001", now).ok());

  auto text = inboxListing(agent.config, true, now);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto j = nlohmann::json::parse(*text);
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["id"], "rc-1");  // newest first
  EXPECT_EQ(j[0]["kind"], "readiness_check");
  EXPECT_EQ(j[0]["state"], "answered");
  EXPECT_EQ(j[0]["require_confirmation"], true);
  EXPECT_EQ(j[0]["self_tests"].size(), 2u);
  EXPECT_EQ(j[1]["id"], "D-000099");
  EXPECT_EQ(j[1]["verified"], false);
  EXPECT_EQ(j[1]["state"], "refused");
  EXPECT_EQ(j[1]["reason_code"], "forged");
  EXPECT_EQ(j[2]["id"], "D-000002");
  EXPECT_EQ(j[2]["reason_code"], "replay");
  EXPECT_EQ(j[3]["id"], "D-000001");
  EXPECT_EQ(j[3]["state"], "acknowledged");
  EXPECT_EQ(j[3]["level"], "heightened");
  EXPECT_EQ(j[3]["require_ack"], true);
  EXPECT_EQ(j[3]["text"], "Kontrollera reservkraften");
  EXPECT_TRUE(j[3]["acknowledged_at"].is_string());
  EXPECT_TRUE(j[3]["expires_at"].is_string());

  auto human = inboxListing(agent.config, false, now);
  ASSERT_TRUE(human.ok());
  EXPECT_NE(human->find("D-000099  directive  REFUSED (forged"), std::string::npos) << *human;
  EXPECT_NE(human->find("samband-agent confirm rc-1"), std::string::npos) << *human;
}

TEST_F(InboxCommandsTest, TheBinaryExitsTwoWithOneSentenceForWhatCannotBeDone) {
  store(directive("D-000002", 2), "refused", "expired: it expired yesterday");
  const std::string config = agent.config.configPath;
  auto confirm =
      samband::testing::runCommand({test::agentBinary(), "confirm", "rc-x", "--config", config});
  EXPECT_EQ(confirm.exitCode, 2);
  EXPECT_NE(confirm.err.find("no readiness check 'rc-x'"), std::string::npos) << confirm.err;
  auto ack =
      samband::testing::runCommand({test::agentBinary(), "ack", "D-000002", "--config", config});
  EXPECT_EQ(ack.exitCode, 2);
  EXPECT_NE(ack.err.find("was refused (expired"), std::string::npos) << ack.err;
  auto noId = samband::testing::runCommand({test::agentBinary(), "ack", "--config", config});
  EXPECT_EQ(noId.exitCode, 2);
  auto list =
      samband::testing::runCommand({test::agentBinary(), "inbox", "--config", config, "--json"});
  EXPECT_EQ(list.exitCode, 0) << list.err;
  auto j = nlohmann::json::parse(list.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << list.out;
  EXPECT_EQ(j[0]["state"], "refused");
}

}  // namespace
}  // namespace samband::agent
