// Key rotation on the agent side (agent/key_rotation.h): the states, the outbox switch, and
// recovery from a crash between any two steps. Real identity files, a real outbox.db.
#include "agent/key_rotation.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "agent/agent_identity.h"
#include "agent/database.h"
#include "agent/offline_export.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/offline_file.h"
#include "tests/agent/test_support.h"

namespace samband::agent {
namespace {

using common::Bytes;

common::UnitStatusMsg rotationStatus(int present) {
  common::UnitStatusMsg s;
  s.unitCode = "12345678";
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  return s;
}

class KeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
    auto opened = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db = std::move(opened).value();
    auto loaded = loadAgentIdentity(agent.config);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    oldIdentity = std::move(loaded).value();
  }

  void queue(Outbox& outbox, int present) {
    auto q = outbox.append(
        {OutboxDraft{common::Mode::ACTUAL, 1700000000000 + present, rotationStatus(present)}}, 1);
    ASSERT_TRUE(q.ok()) << q.error().message;
  }

  std::optional<KeyRotationRecord> record() {
    auto r = readKeyRotation(*db);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }

  std::vector<OutboxRow> rows(Outbox& outbox) {
    auto r = outbox.pendingFrom(0, 1000);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<OutboxRow>{};
  }

  Bytes identityKeyOnDisk() {
    auto id = common::Identity::load(agent.config.identityPath);
    EXPECT_TRUE(id.ok());
    return id.ok() ? (*id)->keyId() : Bytes();
  }

  test::TempDir dir;
  test::AgentFixture agent;
  std::unique_ptr<SQLite::Database> db;
  std::unique_ptr<common::Identity> oldIdentity;
};

TEST_F(KeyRotationTest, StartWritesNextIdentityAndQueuesAnnouncementSignedByCurrentKey) {
  Outbox outbox(*db, *oldIdentity);
  queue(outbox, 1);
  auto started = startKeyRotation(agent.config, 1700000001000);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(started->seq, 2u);
  EXPECT_EQ(started->oldKeyId, common::toHex(oldIdentity->keyId()));
  const std::string next = nextIdentityPath(agent.config);
  EXPECT_EQ(started->nextPath, next);
  EXPECT_TRUE(common::hasPrivateMode(next));
  auto nextId = common::Identity::load(next);
  ASSERT_TRUE(nextId.ok());
  EXPECT_EQ(common::toHex((*nextId)->keyId()), started->newKeyId);
  EXPECT_EQ(identityKeyOnDisk(), oldIdentity->keyId()) << "agent.identity must not change yet";

  auto r = record();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, RotationState::announced);
  auto pending = rows(outbox);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[1].kind, "key_rotation");
  EXPECT_EQ(pending[1].id, r->rowId);
  auto parts = common::decodeEnvelope(pending[1].envelope);
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(common::verifyBody(oldIdentity->signPublic(), parts->body, parts->signature));
  auto body = common::decodeBody(parts->body);
  ASSERT_TRUE(body.ok());
  const auto& kr = std::get<common::KeyRotationMsg>(body->payload);
  EXPECT_EQ(kr.newKeyId, (*nextId)->keyId());
  EXPECT_EQ(Bytes(kr.newCurvePublic),
            Bytes((*nextId)->curvePublic().begin(), (*nextId)->curvePublic().end()));

  auto again = startKeyRotation(agent.config, 1700000002000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(again.error().message.find("not finished yet"), std::string::npos);
}

TEST_F(KeyRotationTest, AckOfTheAnnouncementMarksItAcknowledged) {
  Outbox outbox(*db, *oldIdentity);
  ASSERT_TRUE(startKeyRotation(agent.config, 1).ok());
  queue(outbox, 2);
  ASSERT_TRUE(outbox.ack(0).ok());
  EXPECT_EQ(record()->state, RotationState::announced);
  ASSERT_TRUE(outbox.ack(2).ok());  // cumulative: covers seq 1, the announcement
  EXPECT_EQ(record()->state, RotationState::acknowledged);
}

TEST_F(KeyRotationTest, RefusedAnnouncementLeavesTheOldKeyAndAllowsANewRotation) {
  Outbox outbox(*db, *oldIdentity);
  ASSERT_TRUE(startKeyRotation(agent.config, 1).ok());
  auto pending = rows(outbox);
  ASSERT_EQ(pending.size(), 1u);
  ASSERT_TRUE(outbox.deadLetter(pending[0].id, "malformed", "test", 5, 0, {}).ok());
  auto r = record();
  EXPECT_EQ(r->state, RotationState::refused);
  EXPECT_NE(r->detail.find("malformed"), std::string::npos);
  auto again = startKeyRotation(agent.config, 6);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(again->newKeyId, common::toHex(r->newKeyId));  // the stale .next was replaced
}

TEST_F(KeyRotationTest, SwitchDropsWhatTheBrokerHoldsAndReSignsTheRestUnderTheNewKey) {
  Outbox outbox(*db, *oldIdentity);
  queue(outbox, 1);                                     // seq 1
  ASSERT_TRUE(startKeyRotation(agent.config, 1).ok());  // seq 2
  queue(outbox, 3);                                     // seq 3
  queue(outbox, 4);                                     // seq 4
  queue(outbox, 5);                                     // seq 5
  ASSERT_TRUE(outbox.ack(2).ok());
  ASSERT_EQ(record()->state, RotationState::acknowledged);
  // The broker's head for the old key: seq 3 (say, from an offline import).
  auto before = rows(outbox);
  ASSERT_EQ(before.size(), 3u);
  ChainHead brokerHead{3, before[0].bodyHash};
  auto newKey = record()->newKeyId;

  ASSERT_TRUE(switchToNextKey(agent.config, *db, outbox, brokerHead, 7).ok());
  EXPECT_EQ(record()->state, RotationState::done);
  EXPECT_FALSE(std::filesystem::exists(nextIdentityPath(agent.config)));
  EXPECT_EQ(identityKeyOnDisk(), newKey);
  EXPECT_TRUE(common::hasPrivateMode(agent.config.identityPath));

  auto fresh = loadAgentIdentity(agent.config);
  ASSERT_TRUE(fresh.ok());
  Outbox next(*db, **fresh);
  ASSERT_TRUE(next.verifyKey().ok());
  auto after = rows(next);
  ASSERT_EQ(after.size(), 2u);  // seq 4 and 5 of the old chain, now 1 and 2 of the new one
  ChainHead prev;
  int present = 4;
  for (const auto& row : after) {
    auto parts = common::decodeEnvelope(row.envelope);
    ASSERT_TRUE(parts.ok());
    EXPECT_TRUE(common::verifyBody((*fresh)->signPublic(), parts->body, parts->signature));
    auto body = common::decodeBody(parts->body);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(body->keyId, newKey);
    EXPECT_EQ(body->seq, prev.seq + 1);
    EXPECT_EQ(body->prevHash, prev.hash);
    EXPECT_EQ(std::get<common::UnitStatusMsg>(body->payload).pupilsPresent, present++);
    EXPECT_EQ(body->sentAt, 1700000000000 + present - 1);
    prev = ChainHead{row.seq, row.bodyHash};
  }
  auto head = next.head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, prev);
  auto acked = next.acked();
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(acked->seq, 0u);

  // A command still holding the old identity is told to run again, and queues nothing.
  auto stale = outbox.append({OutboxDraft{common::Mode::ACTUAL, 1, rotationStatus(9)}}, 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(stale.error().message.find("run it again"), std::string::npos);
  EXPECT_EQ(rows(next).size(), 2u);
}

TEST_F(KeyRotationTest, CrashAfterOutboxSwitchIsFinishedByTheNextCommand) {
  Outbox outbox(*db, *oldIdentity);
  ASSERT_TRUE(startKeyRotation(agent.config, 1).ok());
  queue(outbox, 2);
  ASSERT_TRUE(outbox.ack(1).ok());
  auto nextId = common::Identity::load(nextIdentityPath(agent.config));
  ASSERT_TRUE(nextId.ok());
  // Simulate the crash: the outbox switch is committed, the rename never happened.
  ASSERT_TRUE(outbox
                  .rekey(**nextId, ChainHead{1, {}},
                         [&](const std::vector<QueuedMessage>&) -> common::Status {
                           db->exec("UPDATE key_rotation SET state = 'switched'");
                           return {};
                         })
                  .ok());
  EXPECT_EQ(identityKeyOnDisk(), oldIdentity->keyId());
  // `report` (and every command that signs) finishes it before loading the identity.
  ASSERT_TRUE(finishKeyRotation(agent.config, *db).ok());
  EXPECT_EQ(record()->state, RotationState::done);
  EXPECT_EQ(identityKeyOnDisk(), (*nextId)->keyId());
  ASSERT_TRUE(finishKeyRotation(agent.config, *db).ok());  // idempotent

  // Crash after the rename but before the state was written: also finished.
  db->exec("UPDATE key_rotation SET state = 'switched'");
  ASSERT_TRUE(finishKeyRotation(agent.config, *db).ok());
  EXPECT_EQ(record()->state, RotationState::done);
}

TEST_F(KeyRotationTest, SwitchedWithoutTheNewKeyFileSaysWhatToRestore) {
  ASSERT_TRUE(startKeyRotation(agent.config, 1).ok());
  db->exec("UPDATE key_rotation SET state = 'switched'");
  std::filesystem::remove(nextIdentityPath(agent.config));
  auto s = finishKeyRotation(agent.config, *db);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("restore agent.identity.next"), std::string::npos)
      << s.error().message;
}

TEST_F(KeyRotationTest, ExportCarriesTheAnnouncementWithThePendingRows) {
  Outbox outbox(*db, *oldIdentity);
  queue(outbox, 1);
  ASSERT_TRUE(startKeyRotation(agent.config, 1).ok());
  queue(outbox, 3);
  const std::string out = dir.file("usb.offline");
  auto e = exportOutbox(agent.config, out, 1700000009000);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->envelopes, 3u);
  EXPECT_EQ(e->firstSeq, 1u);
  EXPECT_EQ(e->lastSeq, 3u);
  EXPECT_TRUE(common::hasPrivateMode(out));
  auto bytes = common::readFile(out);
  ASSERT_TRUE(bytes.ok());
  auto file = common::decodeOfflineFile(*bytes);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto pending = rows(outbox);
  ASSERT_EQ(file->envelopes.size(), pending.size());
  for (size_t i = 0; i < pending.size(); ++i) EXPECT_EQ(file->envelopes[i], pending[i].envelope);
  EXPECT_EQ(file->header.provider, "556677-8899");
  EXPECT_EQ(file->header.keyIdHex, common::toHex(oldIdentity->keyId()));
  EXPECT_EQ(rows(outbox).size(), 3u) << "export must leave the outbox alone";
}

}  // namespace
}  // namespace samband::agent
