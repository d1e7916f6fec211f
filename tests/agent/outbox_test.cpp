// The outbox: seq allocation and the hash chain across connections, acks, realign, dead letters
// and migrations, against temporary SQLite files and real keys.
#include "agent/outbox.h"

#include <gtest/gtest.h>

#include <thread>

#include "agent/database.h"
#include "agent/last_report.h"
#include "common/codec.h"
#include "tests/agent/test_support.h"

namespace samband::agent {
namespace {

using common::Bytes;
using test::TempDir;

common::UnitStatusMsg status(const std::string& unit, int present) {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  return s;
}

OutboxDraft draft(int present, int64_t sentAt = 1700000000000) {
  return OutboxDraft{common::Mode::ACTUAL, sentAt, status("12345678", present)};
}

std::unique_ptr<SQLite::Database> openDb(const std::string& path) {
  auto db = openAgentDatabase(path, OpenMode::createIfMissing);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return std::move(db).value();
}

// Every pending row: decodes, is signed by `identity`, has the seq of its column, and chains.
void expectValidChain(Outbox& outbox, const common::Identity& identity, ChainHead start) {
  auto rows = outbox.pendingFrom(0, 100000);
  ASSERT_TRUE(rows.ok());
  ChainHead prev = start;
  for (const auto& row : *rows) {
    auto parts = common::decodeEnvelope(row.envelope);
    ASSERT_TRUE(parts.ok());
    EXPECT_TRUE(common::verifyBody(identity.signPublic(), parts->body, parts->signature));
    auto body = common::decodeBody(parts->body);
    ASSERT_TRUE(body.ok()) << body.error().message;
    EXPECT_EQ(body->seq, row.seq);
    EXPECT_EQ(row.seq, prev.seq + 1);
    EXPECT_EQ(body->prevHash, prev.hash);
    EXPECT_EQ(row.prevHash, prev.hash);
    EXPECT_EQ(common::hash256(parts->body), row.bodyHash);
    prev = ChainHead{row.seq, row.bodyHash};
  }
  auto head = outbox.head();
  ASSERT_TRUE(head.ok());
  if (!rows->empty()) {
    EXPECT_EQ(*head, prev);
  }
}

class OutboxTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<common::Identity> identity = common::Identity::generate("556677-8899");
  std::string path = dir.file("outbox.db");
};

TEST_F(OutboxTest, AllocatesConsecutiveSeqsAcrossTwoConnections) {
  auto dbReport = openDb(path);
  auto dbRun = openDb(path);
  Outbox report(*dbReport, *identity);
  Outbox run(*dbRun, *identity);
  for (int i = 0; i < 5; ++i) {
    auto a = report.append({draft(i)}, 1);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->front().seq, static_cast<uint64_t>(2 * i + 1));
    auto b = run.append({draft(100 + i)}, 1);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->front().seq, static_cast<uint64_t>(2 * i + 2));
  }
  expectValidChain(run, *identity, ChainHead{});
}

TEST_F(OutboxTest, ConcurrentWritersNeverShareASeqOrBreakTheChain) {
  openDb(path);  // create and migrate once
  auto writer = [&](int base) {
    auto db = openDb(path);
    Outbox outbox(*db, *identity);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(outbox.append({draft(base + i)}, 1).ok());
  };
  std::thread a(writer, 0), b(writer, 1000);
  a.join();
  b.join();
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  auto range = outbox.pendingRange();
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 1u);
  EXPECT_EQ(range->second, 80u);
  expectValidChain(outbox, *identity, ChainHead{});
}

TEST_F(OutboxTest, AppendsSeveralDraftsInOneTransaction) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  common::CapacityMsg cap;
  cap.unitCode = "12345678";
  cap.entries.push_back({common::SchoolForm::GRUNDSKOLA, 4, 52, 3, 6});
  auto q = outbox.append({draft(1), OutboxDraft{common::Mode::EXERCISE, 5, cap}}, 1);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[1].kind, "capacity");
  EXPECT_EQ((*q)[1].unit, "12345678");
  // A bad draft refuses the whole batch.
  common::UnitStatusMsg bad = status("12345678", 1);
  bad.pupilsPresent = -7;
  auto refused = outbox.append({draft(2), OutboxDraft{common::Mode::ACTUAL, 5, bad}}, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::invalidInput);
  auto range = outbox.pendingRange();
  EXPECT_EQ(range->second, 2u);
}

TEST_F(OutboxTest, RefusesToQueueHeartbeats) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  auto r = outbox.append({OutboxDraft{common::Mode::ACTUAL, 1, common::HeartbeatMsg{}}}, 1);
  EXPECT_FALSE(r.ok());
}

TEST_F(OutboxTest, PendingComesInSeqOrderFromTheCursor) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(outbox.append({draft(i)}, 1).ok());
  auto rows = outbox.pendingFrom(3, 2);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].seq, 3u);
  EXPECT_EQ((*rows)[1].seq, 4u);
}

TEST_F(OutboxTest, AckDeletesCumulativelyAndRecordsTheAckedSeq) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(outbox.append({draft(i)}, 1).ok());
  auto rows = outbox.pendingFrom(0, 10);
  auto deleted = outbox.ack(3);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 3u);
  auto range = outbox.pendingRange();
  EXPECT_EQ(range->first, 4u);
  auto acked = outbox.acked();
  EXPECT_EQ(acked->seq, 3u);
  EXPECT_EQ(acked->hash, (*rows)[2].bodyHash);
  // A duplicate ack and an ack for a seq never signed change nothing.
  EXPECT_EQ(*outbox.ack(2), 0u);
  EXPECT_EQ(*outbox.ack(99), 0u);
  EXPECT_EQ(outbox.pendingRange()->first, 4u);
  auto summary = Outbox::summarize(*db);
  EXPECT_EQ(summary->pending, 2u);
  EXPECT_EQ(summary->ackedSeq, 3u);
  EXPECT_EQ(summary->head.seq, 5u);
}

TEST_F(OutboxTest, RealignRebasesPendingRowsOnTheBrokersHead) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(outbox.append({draft(10 + i, 1700000000000 + i)}, 1).ok());
  auto before = outbox.pendingFrom(0, 10);
  Bytes brokerHash(32, 0xab);
  auto out = outbox.realign(10, brokerHash);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->changed);
  EXPECT_EQ(out->resigned, 3u);
  EXPECT_EQ(out->head.seq, 13u);
  expectValidChain(outbox, *identity, ChainHead{10, brokerHash});
  auto after = outbox.pendingFrom(0, 10);
  ASSERT_EQ(after->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*after)[i].id, (*before)[i].id);
    EXPECT_EQ((*after)[i].seq, 11 + i);
    EXPECT_EQ((*after)[i].resigned, 1);
    auto body = common::decodeBody(common::decodeEnvelope((*after)[i].envelope)->body);
    EXPECT_EQ(body->sentAt, 1700000000000 + static_cast<int64_t>(i));
    EXPECT_EQ(std::get<common::UnitStatusMsg>(body->payload).pupilsPresent,
              static_cast<int32_t>(10 + i));
  }
  // Idempotent: the same head again changes nothing.
  auto again = outbox.realign(10, brokerHash);
  EXPECT_FALSE(again->changed);
  // The next report continues the rebased chain.
  auto next = outbox.append({draft(99)}, 1);
  EXPECT_EQ(next->front().seq, 14u);
  expectValidChain(outbox, *identity, ChainHead{10, brokerHash});
}

TEST_F(OutboxTest, RealignKeepsRowsThatAlreadyFitTheHead) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(outbox.append({draft(i)}, 1).ok());
  auto rows = outbox.pendingFrom(0, 10);
  EXPECT_FALSE(outbox.realign(0, {})->changed);                   // broker has nothing
  EXPECT_FALSE(outbox.realign(2, (*rows)[1].bodyHash)->changed);  // broker has 1..2
  EXPECT_FALSE(outbox.realign(4, (*rows)[3].bodyHash)->changed);  // broker has all
  auto after = outbox.pendingFrom(0, 10);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ((*after)[i].envelope, (*rows)[i].envelope);
}

TEST_F(OutboxTest, RealignOfAForkReSignsFromTheBrokersHead) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(outbox.append({draft(i)}, 1).ok());
  // The broker holds a different seq 2: everything we have from 1 on is re-signed after it.
  Bytes other(32, 0x11);
  auto out = outbox.realign(2, other);
  EXPECT_EQ(out->resigned, 4u);
  EXPECT_EQ(outbox.pendingRange()->first, 3u);
  expectValidChain(outbox, *identity, ChainHead{2, other});
}

TEST_F(OutboxTest, RealignWithNothingPendingMovesTheChainHead) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  ASSERT_TRUE(outbox.append({draft(1)}, 1).ok());
  ASSERT_TRUE(outbox.ack(1).ok());
  Bytes h(32, 0x42);
  auto out = outbox.realign(7, h);
  EXPECT_TRUE(out->changed);
  EXPECT_TRUE(out->headMoved);
  auto next = outbox.append({draft(2)}, 1);
  EXPECT_EQ(next->front().seq, 8u);
  expectValidChain(outbox, *identity, ChainHead{7, h});
}

TEST_F(OutboxTest, DeadLetterMovesTheRowAndRebasesTheRest) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(outbox.append({draft(i)}, 1).ok());
  auto rows = outbox.pendingFrom(0, 10);
  auto out = outbox.deadLetter((*rows)[1].id, "unit_not_owned", "unit 12345678", 77, 1,
                               (*rows)[0].bodyHash);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->changed);
  EXPECT_EQ(out->resigned, 1u);
  auto after = outbox.pendingFrom(0, 10);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].envelope, (*rows)[0].envelope);  // seq 1 untouched
  EXPECT_EQ((*after)[1].id, (*rows)[2].id);              // old seq 3 is now seq 2
  EXPECT_EQ((*after)[1].seq, 2u);
  expectValidChain(outbox, *identity, ChainHead{});
  auto dead = Outbox::deadLetters(*db, 10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].seq, 2u);
  EXPECT_EQ((*dead)[0].reason, "unit_not_owned");
  EXPECT_EQ((*dead)[0].deadAt, 77);
  EXPECT_EQ(Outbox::summarize(*db)->deadLetters, 1u);
  // A second refusal of the same row (stale) is a no-op.
  EXPECT_FALSE(
      outbox.deadLetter((*rows)[1].id, "unit_not_owned", "", 78, 1, (*rows)[0].bodyHash)->changed);
}

TEST_F(OutboxTest, RefusesAnOutboxWrittenUnderAnotherKey) {
  {
    auto db = openDb(path);
    Outbox outbox(*db, *identity);
    ASSERT_TRUE(outbox.append({draft(1)}, 1).ok());
  }
  auto other = common::Identity::generate("556677-8899");
  auto db = openDb(path);
  Outbox outbox(*db, *other);
  auto s = outbox.verifyKey();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("belongs to signing key"), std::string::npos);
  EXPECT_FALSE(outbox.append({draft(2)}, 1).ok());
}

TEST_F(OutboxTest, MigratesAFreshFile) {
  auto db = openDb(path);
  EXPECT_EQ(schemaVersionOf(*db), kSchemaVersion);
  for (const char* table : {"chain", "outbox", "dead_letter", "link_state", "inbox"}) {
    EXPECT_TRUE(db->tableExists(table)) << table;
  }
  EXPECT_EQ(db->execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(OutboxTest, MigratesAnExistingVersionOneFileKeepingItsRows) {
  // A file as the first release wrote it: schema 1 with one pending row, written with plain SQL
  // (today's Outbox writes today's schema).
  common::Message m;
  m.senderId = identity->id();
  m.keyId = identity->keyId();
  m.seq = 1;
  m.sentAt = 1700000000000;
  m.payload = status("12345678", 5);
  common::SealedFrame f = common::seal(*identity, m);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    ASSERT_TRUE(migrateAgentDatabase(db, 1).ok());
    EXPECT_EQ(schemaVersionOf(db), 1);
    EXPECT_FALSE(db.tableExists("link_state"));
    SQLite::Statement ins(db,
                          "INSERT INTO outbox (seq, kind, unit, mode, sent_at, prev_hash, body, "
                          "body_hash, envelope, queued_at) VALUES (1, 'unit_status', '12345678', "
                          "'actual', ?, x'', ?, ?, ?, 1)");
    ins.bind(1, m.sentAt);
    bindBlob(ins, 2, f.body);
    bindBlob(ins, 3, f.bodyHash);
    bindBlob(ins, 4, f.envelope);
    ins.exec();
    SQLite::Statement head(db, "UPDATE chain SET key_id = ?, head_seq = 1, head_hash = ?");
    bindBlob(head, 1, identity->keyId());
    bindBlob(head, 2, f.bodyHash);
    head.exec();
  }
  auto db = openDb(path);
  EXPECT_EQ(schemaVersionOf(*db), kSchemaVersion);
  EXPECT_TRUE(db->tableExists("link_state"));
  EXPECT_TRUE(db->tableExists("inbox"));
  Outbox outbox(*db, *identity);
  auto rows = outbox.pendingFrom(0, 10);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].envelope, f.envelope);
  // The pending row became the unit's last report.
  EXPECT_EQ(readLastReport(*db, "12345678", "actual")->status->pupilsPresent, 5);
  // The chain continues from the migrated row.
  auto next = outbox.append({draft(6)}, 1);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->front().seq, 2u);
  expectValidChain(outbox, *identity, ChainHead{});
  // Opening again does not migrate twice.
  auto again = openDb(path);
  EXPECT_EQ(schemaVersionOf(*again), kSchemaVersion);
}

TEST_F(OutboxTest, KeepsTheLastStatusPerUnitAndModeAfterTheAck) {
  auto db = openDb(path);
  Outbox outbox(*db, *identity);
  ASSERT_TRUE(outbox.append({draft(5, 1700000000000)}, 1).ok());
  ASSERT_TRUE(outbox.append({draft(7, 1700000060000)}, 2).ok());
  OutboxDraft exercise = draft(99);
  exercise.mode = common::Mode::EXERCISE;
  ASSERT_TRUE(outbox.append({exercise}, 3).ok());
  ASSERT_EQ(*outbox.ack(3), 3u);
  auto last = readLastReport(*db, "12345678", "actual");
  ASSERT_TRUE(last.ok()) << last.error().message;
  ASSERT_TRUE(last->status.has_value());
  EXPECT_EQ(last->status->pupilsPresent, 7);
  EXPECT_EQ(last->statusSentAt, 1700000060000);
  EXPECT_FALSE(last->capacity.has_value());
  EXPECT_EQ(readLastReport(*db, "12345678", "exercise")->status->pupilsPresent, 99);
  EXPECT_FALSE(readLastReport(*db, "87654321", "actual")->status.has_value());
}

TEST_F(OutboxTest, RefusesAFileFromANewerVersion) {
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  auto db = openAgentDatabase(path, OpenMode::createIfMissing);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("newer samband-agent"), std::string::npos);
}

TEST_F(OutboxTest, StatusOpenRefusesAMissingFile) {
  auto db = openAgentDatabase(dir.file("missing.db"), OpenMode::mustExist);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("samband-agent init"), std::string::npos);
}

}  // namespace
}  // namespace samband::agent
