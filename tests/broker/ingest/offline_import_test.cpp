// Tests of OfflineImport: an offline file goes through the real Ingress (channel `file`) and
// Committer into a temporary SQLite file. Duplicates are not stored twice, refusals are counted
// by reason like network frames, imported frames do not make a provider "seen", a serving
// committer on another connection notices what the import stored, and a rotation followed by
// frames of the new key in the same file is accepted.
#include "broker/ingest/offline_import.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/metrics/metrics.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/offline_file.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;

using samband::test_time::kNow;
constexpr const char* kUnit = "10000001";

using samband::testing::TempDir;

// One signer's chain, as an agent's outbox keeps it.
class ImportChain {
 public:
  explicit ImportChain(const common::Identity& id) : id_(id) {}
  Bytes next(common::Payload payload, int64_t sentAt) {
    common::Message m;
    m.senderId = id_.id();
    m.keyId = id_.keyId();
    m.seq = ++seq_;
    m.prevHash = prevHash_;
    m.sentAt = sentAt;
    m.mode = common::Mode::ACTUAL;
    m.payload = std::move(payload);
    common::SealedFrame f = common::seal(id_, m);
    prevHash_ = f.bodyHash;
    return f.envelope;
  }
  Bytes heartbeat(int64_t sentAt) const {
    common::Message m;
    m.senderId = id_.id();
    m.keyId = id_.keyId();
    m.sentAt = sentAt;
    m.payload = common::HeartbeatMsg{seq_, 0, common::ReadinessLevel::NORMAL};
    return common::seal(id_, m).envelope;
  }

 private:
  const common::Identity& id_;
  uint64_t seq_ = 0;
  Bytes prevHash_;
};

common::UnitStatusMsg importStatus(const std::string& unit, int32_t present) {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  return s;
}

Bytes flipSignature(const Bytes& envelope) {
  auto parts = common::decodeEnvelope(envelope);
  EXPECT_TRUE(parts.ok());
  parts->signature[5] ^= 0x01;
  return common::encodeEnvelope(parts->body, parts->signature);
}

class OfflineImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dbPath(), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(*alpha_, "Huvudman", {kUnit}, kNow), false, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    roster_ = std::make_unique<RosterCache>(dbPath(), clock_);
    importer_ = std::make_unique<OfflineImport>(*store_, *roster_, clock_);
  }

  std::string dbPath() const { return dir_.file("samband.db"); }

  std::string writeFile(const std::vector<Bytes>& envelopes, const std::string& name = "a.off") {
    common::OfflineFile f;
    f.header.provider = alpha_->id();
    f.header.keyIdHex = common::toHex(alpha_->keyId());
    f.header.exportedAtMs = kNow;
    f.envelopes = envelopes;
    auto bytes = common::encodeOfflineFile(f);
    EXPECT_TRUE(bytes.ok());
    std::string path = dir_.file(name);
    std::ofstream(path, std::ios::binary) << *bytes;
    return path;
  }

  ImportSummary importOk(const std::string& path) {
    auto r = importer_->importFile(path);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : ImportSummary{};
  }

  int64_t scalar(const std::string& sql) { return store_->db().execAndGet(sql).getInt64(); }

  TempDir dir_;
  common::FakeClock clock_{kNow};
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<Store> store_;
  std::unique_ptr<RosterCache> roster_;
  std::unique_ptr<OfflineImport> importer_;
};

TEST_F(OfflineImportTest, StoresEveryEnvelopeOnceAndCountsDuplicatesOnTheSecondRun) {
  ImportChain chain(*alpha_);
  std::vector<Bytes> env{chain.next(importStatus(kUnit, 1), kNow),
                         chain.next(importStatus(kUnit, 2), kNow + 1),
                         chain.next(importStatus(kUnit, 3), kNow + 2)};
  std::string path = writeFile(env);
  ImportSummary first = importOk(path);
  EXPECT_EQ(first.envelopes, 3u);
  EXPECT_EQ(first.accepted, 3u);
  EXPECT_EQ(first.duplicates, 0u);
  EXPECT_EQ(first.refusedTotal(), 0u);
  EXPECT_EQ(first.header.provider, alpha_->id());
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 3);
  EXPECT_EQ(scalar("SELECT pupils_present FROM unit_status WHERE code='10000001'"), 3);
  // Carried on a stick: the provider was not seen on the network.
  EXPECT_EQ(scalar("SELECT count(*) FROM providers WHERE last_seen IS NOT NULL"), 0);

  ImportSummary second = importOk(path);
  EXPECT_EQ(second.accepted, 0u);
  EXPECT_EQ(second.duplicates, 3u);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 3);
}

TEST_F(OfflineImportTest, CountsRefusalsByReasonLikeNetworkFrames) {
  ImportChain chain(*alpha_);
  Bytes one = chain.next(importStatus(kUnit, 1), kNow);
  Bytes two = chain.next(importStatus(kUnit, 2), kNow + 1);
  Bytes foreignUnit = chain.next(importStatus("99999999", 3), kNow + 2);
  std::vector<Bytes> env{one, flipSignature(two), foreignUnit, chain.heartbeat(kNow + 3),
                         Bytes(40, 0x11)};
  ImportSummary s = importOk(writeFile(env));
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.refused["bad_signature"], 1u);
  EXPECT_EQ(s.refused["unit_not_owned"], 1u);
  EXPECT_EQ(s.refused["forbidden"], 1u);  // a heartbeat cannot travel in a file
  EXPECT_EQ(s.refused["malformed"], 1u);
  EXPECT_EQ(s.refusedTotal(), 4u);
  EXPECT_EQ(scalar("SELECT count FROM rejections WHERE reason='bad_signature'"), 1);
  EXPECT_EQ(scalar("SELECT count FROM rejections WHERE reason='forbidden'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 1);
  EXPECT_NE(s.toJson().find("\"ok\": false"), std::string::npos);
}

TEST_F(OfflineImportTest, ServingCommitterSeesWhatTheImportStored) {
  // `serve`'s committer, on its own connection, has this sender's head (0) cached.
  auto serving = Store::open(dbPath(), Store::Access::readWrite);
  ASSERT_TRUE(serving.ok());
  Metrics metrics;
  Committer committer(**serving, clock_, metrics);
  Ingress ingress(*roster_, clock_);
  ImportChain chain(*alpha_);
  auto network = [&](const Bytes& envelope) {
    std::vector<WorkItem> batch;
    batch.push_back(
        WorkItem{"r", ingress.admit(InboundFrame{"r", alpha_->id(), envelope, clock_.nowMs()})});
    auto replies = committer.apply(batch);
    EXPECT_EQ(replies.size(), 1u);
    auto d = replies.empty()
                 ? common::Result<common::Downlink>(common::invalidInput("none"))
                 : common::decodeDownlink(replies[0].downlink.data(), replies[0].downlink.size());
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : common::Downlink{};
  };
  clock_.advanceMs(1);
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(network(chain.heartbeat(clock_.nowMs()))));

  Bytes one = chain.next(importStatus(kUnit, 1), kNow);
  Bytes two = chain.next(importStatus(kUnit, 2), kNow + 1);
  EXPECT_EQ(importOk(writeFile({one, two})).accepted, 2u);

  // The agent sends the same frames over the network later: duplicates, not a failed batch.
  auto ack = network(two);
  ASSERT_TRUE(std::holds_alternative<common::AckMsg>(ack));
  EXPECT_TRUE(std::get<common::AckMsg>(ack).duplicate);
  EXPECT_EQ(metrics.commitFailures, 0u);
  Bytes three = chain.next(importStatus(kUnit, 3), kNow + 2);
  ack = network(three);
  ASSERT_TRUE(std::holds_alternative<common::AckMsg>(ack));
  EXPECT_FALSE(std::get<common::AckMsg>(ack).duplicate);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 3);
}

TEST_F(OfflineImportTest, FramesOfAKeyRotatedEarlierInTheSameFileAreAccepted) {
  auto next = common::Identity::generate(alpha_->id());
  const common::KeyRotationMsg rotation = common::keyRotationTo(*next);
  ImportChain oldChain(*alpha_);
  ImportChain newChain(*next);
  std::vector<Bytes> env{oldChain.next(importStatus(kUnit, 1), kNow),
                         oldChain.next(rotation, kNow + 1),
                         newChain.next(importStatus(kUnit, 2), kNow + 2)};
  ImportSummary s = importOk(writeFile(env));
  EXPECT_EQ(s.accepted, 3u) << s.toText();
  EXPECT_EQ(scalar("SELECT count(DISTINCT key_id) FROM frames"), 2);
}

TEST_F(OfflineImportTest, RefusesDamagedOrMissingFileAndStoresNothing) {
  ImportChain chain(*alpha_);
  std::string path = writeFile({chain.next(importStatus(kUnit, 1), kNow)});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  auto r = importer_->importFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::invalidInput);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 0);

  auto missing = importer_->importFile(dir_.file("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("check the path"), std::string::npos);
  auto directory = importer_->importFile(dir_.file(""));
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace samband::broker
