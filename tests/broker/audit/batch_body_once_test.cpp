// Tests of migration 17 (issue 16), beside the other batch tests: a report stored from a batch
// keeps its body only in the batch frame (an empty envelope and a link into the batch), through
// the real gate and committer on a real SQLite file; an archive written the old way (schema 16:
// body + zero signature in the row, a batch_frames link) migrates, and every reader of
// frames.envelope returns byte for byte the same envelopes, audit and export from both.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "broker/audit/archive_digest.h"
#include "broker/audit/audit.h"
#include "broker/city/city_chain.h"
#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/inquiry/inquiry_export.h"
#include "broker/metrics/metrics.h"
#include "broker/store/archive_store.h"
#include "broker/store/audit_store.h"
#include "broker/store/city_store.h"
#include "broker/store/inquiry_store.h"
#include "broker/store/picture_store.h"
#include "broker/store/replication_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/snapshot_store.h"
#include "broker/store/store.h"
#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/signing.h"
#include "tests/broker/audit/batched_archive_fixture.h"
#include "tests/broker/ingest/sender_chain.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;
using samband::test_time::kNow;

constexpr const char* kBodyOnceUnitA = testing::kBatchedUnitA;
constexpr const char* kBodyOnceUnitB = testing::kBatchedUnitB;
constexpr int kBodyOnceBatches = 4;
constexpr int kBodyOncePerBatch = 32;

common::UnitStatusMsg bodyOnceStatus(const std::string& unit, int i) {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.reason = "storm";
  s.staffAvailable = 10 + i;
  s.note = "report " + std::to_string(i) + " of a backlog after a power cut";
  return s;
}

std::string bodyOnceReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file under `dir`, by path relative to it.
std::map<std::string, std::string> bodyOnceFiles(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[std::filesystem::relative(e.path(), dir).string()] = bodyOnceReadFile(e.path());
    }
  }
  return out;
}

// What one archive gives every reader of frames.envelope, for comparing two archives.
struct BodyOnceReads {
  std::vector<Bytes> byChain;        // ArchiveStore::forEachFrame
  std::vector<Bytes> byId;           // AuditStore::forEachFrameById
  std::vector<Bytes> byCursor;       // FrameCursor (the audit's walk)
  std::vector<std::string> inquiry;  // InquiryStore: envelope hex / batch id / index
  std::vector<std::string> chainFrom;
  std::vector<Bytes> board;     // PictureStore::framesOf (newest first)
  std::vector<Bytes> snapshot;  // SnapshotStore::forEachFrameAfter, in small chunks
  std::vector<Bytes> replication;
  int64_t batchedRows = 0;
};

class BatchBodyOnceTest : public testing::BatchedArchiveFixture {
 protected:
  void SetUp() override { openArchive("new.db"); }

  void commit(std::vector<WorkItem>& items) {
    for (const auto& r : committer_->apply(items)) {
      auto d = common::decodeDownlink(r.downlink.data(), r.downlink.size());
      ASSERT_TRUE(d.ok());
      ASSERT_NE(std::get_if<common::AckMsg>(&*d), nullptr);
    }
    items.clear();
  }

  // alpha's backlog as batches (one commit each), beta's reports alone between them.
  void storeBacklog() {
    int i = 0;
    for (int b = 0; b < kBodyOnceBatches; ++b) {
      std::vector<Bytes> bodies;
      for (int k = 0; k < kBodyOncePerBatch; ++k, ++i) {
        bodies.push_back(alphaChain_.next(bodyOnceStatus(kBodyOnceUnitA, i), kNow + i).body);
        batchedBodyBytes_ += static_cast<int64_t>(bodies.back().size());
      }
      Bytes frame = common::encodeBatch(bodies, common::signBatch(*alpha_, bodies));
      std::vector<WorkItem> items;
      for (auto& a : ingress_->admitBatch(InboundFrame{"r", alpha_->id(), frame, kNow})) {
        items.push_back(WorkItem{"r", a});
      }
      auto single = betaChain_.next(bodyOnceStatus(kBodyOnceUnitB, b), kNow + b);
      items.push_back(
          WorkItem{"s", ingress_->admit(InboundFrame{"s", beta_->id(), single.envelope, kNow})});
      commit(items);
    }
  }

  // A copy of the new archive rewritten as schema 16 stored it: the body and a zero signature
  // in each batched report's row (built here from the batch, as the committer built it before),
  // the link in batch_frames and its index, no batch columns in frames.
  std::string oldStyleCopy() {
    const std::string path = dir_.file("old.db");
    store_->db().exec("VACUUM INTO '" + path + "'");
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec(R"sql(
CREATE TABLE batch_frames (
  frame_id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL,
  idx INTEGER NOT NULL
);
CREATE INDEX batch_frames_batch ON batch_frames(batch_id);
INSERT INTO batch_frames SELECT id, batch_id, batch_idx FROM frames WHERE batch_id IS NOT NULL;
)sql");
    SQLite::Statement rows(db,
                           "SELECT f.id, f.batch_idx, b.frame FROM frames f JOIN batches b "
                           "ON b.id = f.batch_id ORDER BY f.id");
    std::vector<std::pair<int64_t, Bytes>> envelopes;
    while (rows.executeStep()) {
      auto* p = static_cast<const uint8_t*>(rows.getColumn(2).getBlob());
      auto parts = common::decodeBatch(Bytes(p, p + rows.getColumn(2).getBytes()));
      EXPECT_TRUE(parts.ok());
      if (!parts) continue;
      const auto idx = static_cast<size_t>(rows.getColumn(1).getInt64());
      envelopes.emplace_back(rows.getColumn(0).getInt64(),
                             common::batchMemberEnvelope(parts->bodies.at(idx)));
    }
    rows.reset();
    SQLite::Statement set(db, "UPDATE frames SET envelope=? WHERE id=?");
    for (const auto& [id, envelope] : envelopes) {
      set.reset();
      set.bind(1, envelope.data(), static_cast<int>(envelope.size()));
      set.bind(2, id);
      set.exec();
      oldEnvelopes_[id] = envelope;
    }
    db.exec("ALTER TABLE frames DROP COLUMN batch_idx");
    db.exec("ALTER TABLE frames DROP COLUMN batch_id");
    // What the migrations after 17 added (18: the roster's change counter), so migrating from
    // 16 runs them again as on a real broker of that version.
    for (const char* trigger : {"keys_insert", "keys_delete", "keys_update", "units_insert",
                                "units_delete", "units_update"}) {
      db.exec(std::string("DROP TRIGGER roster_version_") + trigger);
    }
    db.exec("DROP TABLE roster_version");
    db.exec("PRAGMA user_version=16");
    return path;
  }

  static BodyOnceReads readEnvelopes(Store& store, const std::string& alphaId) {
    BodyOnceReads r;
    EXPECT_TRUE(ArchiveStore(store)
                    .forEachFrame([&](const ArchivedFrame& f) { r.byChain.push_back(f.envelope); })
                    .ok());
    EXPECT_TRUE(AuditStore(store)
                    .forEachFrameById([&](const StoredFrame& f) { r.byId.push_back(f.envelope); })
                    .ok());
    FrameCursor cursor(store);
    StoredFrame f;
    while (cursor.next(f)) r.byCursor.push_back(f.envelope);
    EXPECT_FALSE(cursor.error().has_value());
    auto line = [](const ExportFrame& e) {
      return common::toHex(e.envelope) + "/" + std::to_string(e.batchId) + "/" +
             std::to_string(e.batchIndex);
    };
    InquiryStore inquiry(store);
    EXPECT_TRUE(inquiry
                    .framesBetween(0, INT64_MAX,
                                   [&](const ExportFrame& e) { r.inquiry.push_back(line(e)); })
                    .ok());
    auto chain = inquiry.chainFrom(alphaId, alphaKey(store, alphaId), 1, INT64_MAX);
    EXPECT_TRUE(chain.ok());
    if (chain) {
      for (const auto& e : *chain) r.chainFrom.push_back(line(e));
    }
    auto board = PictureStore(store).framesOf(alphaId, 0, 1000);
    EXPECT_TRUE(board.ok());
    if (board) {
      for (const auto& row : *board) r.board.push_back(row.envelope);
    }
    EXPECT_TRUE(SnapshotStore(store)
                    .forEachFrameAfter(
                        0,
                        [&](const ReplayFrame& rf) {
                          r.snapshot.push_back(rf.envelope);
                          return true;
                        },
                        7)
                    .ok());
    ReplicationStore replication(store);
    auto served = replication.envelopesAfter(alphaId, alphaKey(store, alphaId), 0, 1000, 1 << 24);
    EXPECT_TRUE(served.ok());
    if (served) r.replication = *served;
    r.batchedRows =
        store.db().execAndGet("SELECT count(*) FROM frames WHERE batch_id IS NOT NULL").getInt64();
    return r;
  }

  static std::string alphaKey(Store& store, const std::string& alphaId) {
    SQLite::Statement q(store.db(), "SELECT key_id FROM frames WHERE sender=? LIMIT 1");
    q.bind(1, alphaId);
    return q.executeStep() ? q.getColumn(0).getString() : "";
  }

  int64_t batchedBodyBytes_ = 0;
  std::map<int64_t, Bytes> oldEnvelopes_;  // frame id -> the envelope schema 16 stored
};

TEST_F(BatchBodyOnceTest, BatchedReportsStoreTheirBodyOnceInTheBatch) {
  storeBacklog();
  const int64_t n = kBodyOnceBatches * kBodyOncePerBatch;
  auto scalar = [&](Store& s, const std::string& sql) { return s.db().execAndGet(sql).getInt64(); };
  EXPECT_EQ(scalar(*store_, "SELECT count(*) FROM frames WHERE batch_id IS NOT NULL"), n);
  EXPECT_EQ(scalar(*store_,
                   "SELECT count(*) FROM frames WHERE batch_id IS NOT NULL AND "
                   "length(envelope) > 0"),
            0);
  EXPECT_EQ(scalar(*store_, "SELECT count(*) FROM batches"), kBodyOnceBatches);
  EXPECT_EQ(scalar(*store_, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'batch_frames%'"),
            0);
  // Reports sent alone keep their envelope as sent.
  EXPECT_EQ(scalar(*store_,
                   "SELECT count(*) FROM frames WHERE sender='556677-0002' AND "
                   "batch_id IS NULL AND length(envelope) > 64"),
            kBodyOnceBatches);

  // The same frames stored the old way hold every batched body a second time.
  const std::string oldPath = oldStyleCopy();
  const std::string newPath = dir_.file("new-compact.db");
  store_->db().exec("VACUUM INTO '" + newPath + "'");
  SQLite::Database oldDb(oldPath, SQLite::OPEN_READONLY);
  SQLite::Database newDb(newPath, SQLite::OPEN_READONLY);
  const int64_t oldEnvelopeBytes =
      oldDb.execAndGet("SELECT sum(length(envelope)) FROM frames").getInt64();
  const int64_t newEnvelopeBytes =
      newDb.execAndGet("SELECT sum(length(envelope)) FROM frames").getInt64();
  EXPECT_GE(oldEnvelopeBytes - newEnvelopeBytes, batchedBodyBytes_ + 64 * n);
  const auto oldSize = static_cast<int64_t>(std::filesystem::file_size(oldPath));
  const auto newSize = static_cast<int64_t>(std::filesystem::file_size(newPath));
  EXPECT_GE(oldSize - newSize, batchedBodyBytes_) << "old " << oldSize << " new " << newSize;
  std::cout << "[ batch body once ] " << n << " batched reports: archive " << oldSize
            << " bytes stored the old way, " << newSize << " now (" << (oldSize - newSize) / n
            << " bytes less per report; envelopes " << oldEnvelopeBytes << " -> "
            << newEnvelopeBytes << ")\n";
}

TEST_F(BatchBodyOnceTest, OldStyleArchiveMigratesAndEveryReaderReadsTheSameBytes) {
  storeBacklog();
  const BodyOnceReads fresh = readEnvelopes(*store_, alpha_->id());
  const size_t batched = kBodyOnceBatches * kBodyOncePerBatch;
  EXPECT_GT(fresh.byId.size(), batched + kBodyOnceBatches);  // and the city's own frames
  EXPECT_EQ(fresh.board.size(), batched);
  EXPECT_EQ(fresh.chainFrom.size(), batched);
  const std::string oldPath = oldStyleCopy();
  ASSERT_EQ(oldEnvelopes_.size(), static_cast<size_t>(kBodyOnceBatches * kBodyOncePerBatch));

  auto migrated = Store::open(oldPath, Store::Access::readWrite);
  ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  Store& old = **migrated;
  EXPECT_EQ(old.db().execAndGet("PRAGMA user_version").getInt(), Store::kSchemaVersion);
  EXPECT_EQ(old.db()
                .execAndGet("SELECT count(*) FROM sqlite_master WHERE name LIKE 'batch_frames%'")
                .getInt(),
            0);
  // The links moved into the rows, the same as the committer writes them now; the rows keep
  // the envelope schema 16 stored.
  {
    SQLite::Statement q(old.db(),
                        "SELECT id, batch_id, batch_idx, envelope FROM frames WHERE "
                        "batch_id IS NOT NULL ORDER BY id");
    SQLite::Statement same(store_->db(), "SELECT batch_id, batch_idx FROM frames WHERE id=?");
    int n = 0;
    while (q.executeStep()) {
      const int64_t id = q.getColumn(0).getInt64();
      same.reset();
      same.bind(1, id);
      ASSERT_TRUE(same.executeStep());
      EXPECT_EQ(q.getColumn(1).getInt64(), same.getColumn(0).getInt64());
      EXPECT_EQ(q.getColumn(2).getInt64(), same.getColumn(1).getInt64());
      auto* p = static_cast<const uint8_t*>(q.getColumn(3).getBlob());
      EXPECT_EQ(Bytes(p, p + q.getColumn(3).getBytes()), oldEnvelopes_.at(id));
      ++n;
    }
    EXPECT_EQ(n, kBodyOnceBatches * kBodyOncePerBatch);
  }

  const BodyOnceReads before = readEnvelopes(old, alpha_->id());
  EXPECT_EQ(fresh.byChain, before.byChain);
  EXPECT_EQ(fresh.byId, before.byId);
  EXPECT_EQ(fresh.byCursor, before.byCursor);
  EXPECT_EQ(fresh.byId, fresh.byCursor);
  EXPECT_EQ(fresh.inquiry, before.inquiry);
  EXPECT_EQ(fresh.chainFrom, before.chainFrom);
  EXPECT_EQ(fresh.board, before.board);
  EXPECT_EQ(fresh.snapshot, before.snapshot);
  EXPECT_EQ(fresh.byId, fresh.snapshot);
  EXPECT_EQ(fresh.replication, before.replication);
  EXPECT_EQ(fresh.batchedRows, before.batchedRows);
  // And each batched report reads as the envelope schema 16 stored for it.
  {
    SQLite::Statement ids(store_->db(), "SELECT id FROM frames ORDER BY id");
    size_t i = 0;
    int checked = 0;
    while (ids.executeStep()) {
      auto it = oldEnvelopes_.find(ids.getColumn(0).getInt64());
      if (it != oldEnvelopes_.end()) {
        EXPECT_EQ(fresh.byId.at(i), it->second);
        ++checked;
      }
      ++i;
    }
    EXPECT_EQ(checked, kBodyOnceBatches * kBodyOncePerBatch);
  }
  // Replication serves each batch once, as sent: one answer part per batch for alpha.
  EXPECT_EQ(fresh.replication.size(), static_cast<size_t>(kBodyOnceBatches));

  // The audit finds both archives intact and gives the same figures and digest.
  AuditReport a = auditArchive(*store_);
  AuditReport b = auditArchive(old);
  EXPECT_TRUE(a.intact()) << a.toText();
  EXPECT_TRUE(b.intact()) << b.toText();
  EXPECT_EQ(a.toJson().dump(), b.toJson().dump());
  auto da = archiveDigest(*store_);
  auto db = archiveDigest(old);
  ASSERT_TRUE(da.ok() && db.ok());
  EXPECT_EQ(da->all.sha256, db->all.sha256);

  // The inquiry export: every file byte for byte the same.
  inquiry::ExportOptions o;
  o.fromMs = kNow - 60'000;
  o.toMs = kNow + 60'000;
  o.outDir = dir_.path() + "/export-new";
  auto e1 = inquiry::exportInquiry(*store_, *city_, o, kNow + 120'000);
  ASSERT_TRUE(e1.ok()) << e1.error().message;
  o.outDir = dir_.path() + "/export-old";
  auto e2 = inquiry::exportInquiry(old, *city_, o, kNow + 120'000);
  ASSERT_TRUE(e2.ok()) << e2.error().message;
  const auto newFiles = bodyOnceFiles(dir_.path() + "/export-new");
  const auto oldFiles = bodyOnceFiles(dir_.path() + "/export-old");
  EXPECT_GT(newFiles.size(), 3u);
  ASSERT_EQ(newFiles.size(), oldFiles.size());
  for (const auto& [name, text] : newFiles) {
    auto it = oldFiles.find(name);
    ASSERT_NE(it, oldFiles.end()) << name;
    EXPECT_TRUE(text == it->second) << name << " differs";
  }
}

TEST_F(BatchBodyOnceTest, ALinkToAMissingBatchIsAnErrorForReadersAndAProblemForTheAudit) {
  storeBacklog();
  store_->db().exec("DELETE FROM batches WHERE id = (SELECT min(id) FROM batches)");
  auto board = PictureStore(*store_).framesOf(alpha_->id(), 0, 1000);
  ASSERT_FALSE(board.ok());
  EXPECT_NE(board.error().message.find("samband-broker audit"), std::string::npos)
      << board.error().message;
  AuditReport audit = auditArchive(*store_);
  EXPECT_FALSE(audit.intact());
  EXPECT_GE(audit.undecodable, kBodyOncePerBatch) << audit.toText();
}

}  // namespace
}  // namespace samband::broker
