// Tests of the View: liveness at its boundaries, and the keys and values of the status JSON that
// the board and `samband-broker status --json` promise, from a database filled by the real
// ingest path.
#include "broker/picture/view.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
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
#include "common/vocabulary.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using nlohmann::json;

using samband::test_time::kNow;

using samband::testing::TempDir;

// "YYYY-MM-DDTHH:MM:SS", optional fraction, then "Z" or an offset. (Not std::regex: GCC 12
// warns inside it under the sanitizer build.)
bool isRfc3339(const json& j) {
  if (!j.is_string()) return false;
  const std::string s = j.get<std::string>();
  const std::string shape = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < shape.size() + 1) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != shape[i]) {
      return false;
    }
  }
  size_t i = shape.size();
  if (s[i] == '.') {
    size_t digits = 0;
    while (++i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++digits;
    if (digits == 0) return false;
  }
  const std::string zone = s.substr(i);
  return zone == "Z" || (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':');
}

TEST(Liveness, NeverWithoutAnyAcceptedFrame) {
  EXPECT_STREQ(livenessOf(std::nullopt, kNow, LivenessRules{}), "never");
}

TEST(Liveness, OnlineUpToStaleAfterInclusive) {
  LivenessRules r{90'000, 300'000};
  EXPECT_STREQ(livenessOf(kNow, kNow, r), "online");
  EXPECT_STREQ(livenessOf(kNow - 90'000, kNow, r), "online");
  EXPECT_STREQ(livenessOf(kNow + 5'000, kNow, r), "online");  // agent clock ahead of ours
}

TEST(Liveness, StaleAfterStaleAfterUpToOfflineAfterInclusive) {
  LivenessRules r{90'000, 300'000};
  EXPECT_STREQ(livenessOf(kNow - 90'001, kNow, r), "stale");
  EXPECT_STREQ(livenessOf(kNow - 300'000, kNow, r), "stale");
}

TEST(Liveness, OfflineAfterOfflineAfter) {
  LivenessRules r{90'000, 300'000};
  EXPECT_STREQ(livenessOf(kNow - 300'001, kNow, r), "offline");
  EXPECT_STREQ(livenessOf(0, kNow, r), "offline");
}

TEST(Liveness, FollowsConfiguredThresholds) {
  LivenessRules r{10'000, 20'000};
  EXPECT_STREQ(livenessOf(kNow - 10'000, kNow, r), "online");
  EXPECT_STREQ(livenessOf(kNow - 10'001, kNow, r), "stale");
  EXPECT_STREQ(livenessOf(kNow - 20'001, kNow, r), "offline");
}

class ViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    enroll(*alpha_, "Alfa Skolor AB", {"10000001", "10000002"});
    enroll(*beta_, "Beta Friskolor", {"20000001"});
    enroll(*gamma_, "Gamma Utbildning", {"30000001"});
    roster_ = std::make_unique<RosterCache>(dir_.file("samband.db"), clock_);
    ingress_ = std::make_unique<Ingress>(*roster_, clock_);
    committer_ = std::make_unique<Committer>(*store_, clock_, metrics_);
  }

  void enroll(const common::Identity& id, const std::string& name,
              const std::vector<std::string>& units) {
    auto r =
        RosterStore(*store_).enroll(common::makeEnrollRequest(id, name, units, kNow), false, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // Sends one frame through the gate and the committer at the current fake time.
  void send(const common::Identity& id, uint64_t seq, const common::Bytes& prevHash,
            common::Payload payload, int64_t sentAt, common::Mode mode = common::Mode::ACTUAL,
            common::Bytes* hashOut = nullptr) {
    common::Message m;
    m.senderId = id.id();
    m.keyId = id.keyId();
    m.seq = seq;
    m.prevHash = prevHash;
    m.sentAt = sentAt;
    m.mode = mode;
    m.payload = std::move(payload);
    common::SealedFrame f = common::seal(id, m);
    if (hashOut) *hashOut = f.bodyHash;
    std::vector<WorkItem> batch;
    batch.push_back(
        WorkItem{"r", ingress_->admit(InboundFrame{"r", id.id(), f.envelope, clock_.nowMs()})});
    ASSERT_EQ(committer_->apply(batch).size(), 1u);
  }

  const json* provider(const json& picture, const std::string& id) {
    for (const auto& p : picture["providers"]) {
      if (p["id"] == id) return &p;
    }
    ADD_FAILURE() << "provider " << id << " missing";
    return nullptr;
  }

  TempDir dir_;
  common::FakeClock clock_{kNow};
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
  std::unique_ptr<common::Identity> gamma_ = common::Identity::generate("556677-0003");
  std::unique_ptr<RosterCache> roster_;
  std::unique_ptr<Ingress> ingress_;
  std::unique_ptr<Committer> committer_;
};

TEST_F(ViewTest, StatusJsonHasContractKeysAndValues) {
  common::UnitStatusMsg s;
  s.unitCode = "10000001";
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = 120;
  s.staffAvailable = 14;
  common::Bytes h1;
  send(*alpha_, 1, {}, s, kNow - 1000, common::Mode::ACTUAL, &h1);
  common::UnitStatusMsg s2 = s;
  s2.unitCode = "10000002";
  s2.operational = common::OperationalState::CLOSED;
  s2.pupilsPresent = -1;  // not given
  s2.staffAvailable = 0;
  s2.closedUntil = "2026-12-18";
  send(*alpha_, 2, h1, s2, kNow - 500);
  clock_.setMs(kNow + 50'000);
  send(*beta_, 0, {}, common::HeartbeatMsg{}, kNow + 50'000);
  // A refusal, counted under its reason.
  std::vector<WorkItem> batch;
  batch.push_back(WorkItem{
      "r", ingress_->admit(InboundFrame{"r", alpha_->id(), common::Bytes(64, 0xee), kNow})});
  ASSERT_EQ(committer_->apply(batch).size(), 1u);

  json picture = currentPicture(*store_, LivenessRules{}, kNow + 100'000).value();
  ASSERT_TRUE(picture["providers"].is_array());
  ASSERT_EQ(picture["providers"].size(), 3u);
  for (const auto& p : picture["providers"]) {
    for (const char* key : {"id", "name", "liveness", "last_seen", "last_seq", "units"}) {
      EXPECT_TRUE(p.contains(key)) << key << " missing in " << p.dump();
    }
    for (const auto& u : p["units"]) {
      for (const char* key :
           {"code", "operational", "pupils_present", "staff_available", "reported_at"}) {
        EXPECT_TRUE(u.contains(key)) << key << " missing in " << u.dump();
      }
    }
  }

  const json* alpha = provider(picture, alpha_->id());
  ASSERT_NE(alpha, nullptr);
  EXPECT_EQ((*alpha)["name"], "Alfa Skolor AB");
  EXPECT_EQ((*alpha)["liveness"], "stale");  // last frame received 100 s ago
  EXPECT_TRUE(isRfc3339((*alpha)["last_seen"])) << (*alpha)["last_seen"];
  EXPECT_EQ((*alpha)["last_seen"], common::formatRfc3339(kNow));
  EXPECT_EQ((*alpha)["last_seq"], 2);
  ASSERT_EQ((*alpha)["units"].size(), 2u);
  const json& u1 = (*alpha)["units"][0];
  EXPECT_EQ(u1["code"], "10000001");
  EXPECT_EQ(u1["operational"], "reduced");
  EXPECT_EQ(u1["pupils_present"], 120);
  EXPECT_EQ(u1["staff_available"], 14);
  EXPECT_TRUE(isRfc3339(u1["reported_at"])) << u1["reported_at"];
  EXPECT_EQ(u1["reported_at"], common::formatRfc3339(kNow - 1000));
  const json& u2 = (*alpha)["units"][1];
  EXPECT_EQ(u2["code"], "10000002");
  EXPECT_EQ(u2["operational"], "closed");
  EXPECT_TRUE(u2["pupils_present"].is_null());
  EXPECT_EQ(u2["staff_available"], 0);
  EXPECT_EQ(u2["closed_until"], "2026-12-18") << "through the gate, the archive and the picture";
  EXPECT_TRUE(u1["closed_until"].is_null());
  EXPECT_NE(pictureText(picture).find("10000002  closed until 2026-12-18"), std::string::npos)
      << pictureText(picture);

  const json* beta = provider(picture, beta_->id());
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ((*beta)["liveness"], "online");   // heartbeats count for liveness
  EXPECT_EQ((*beta)["last_seq"], 0);          // but are outside the chain
  EXPECT_EQ((*beta)["clock_offset_s"], 0.0);  // its heartbeat's sentAt was our time
  EXPECT_TRUE((*alpha)["clock_offset_s"].is_null()) << "no heartbeat: not measured";
  ASSERT_EQ((*beta)["units"].size(), 1u);
  EXPECT_EQ((*beta)["units"][0]["operational"], "unknown");
  EXPECT_TRUE((*beta)["units"][0]["pupils_present"].is_null());
  EXPECT_TRUE((*beta)["units"][0]["reported_at"].is_null());

  const json* gamma = provider(picture, gamma_->id());
  ASSERT_NE(gamma, nullptr);
  EXPECT_EQ((*gamma)["liveness"], "never");
  EXPECT_TRUE((*gamma)["last_seen"].is_null());
  EXPECT_EQ((*gamma)["last_seq"], 0);

  ASSERT_TRUE(picture["rejected"].is_object());
  EXPECT_EQ(picture["rejected"].size(), common::kRejectReasonCount);
  for (size_t r = 0; r < common::kRejectReasonCount; ++r) {
    const char* name = common::rejectReasonName(static_cast<common::RejectReason>(r));
    ASSERT_TRUE(picture["rejected"].contains(name)) << name;
    EXPECT_EQ(picture["rejected"][name], std::string(name) == "malformed" ? 1 : 0) << name;
  }
  EXPECT_EQ(picture["frames"], 2);
}

TEST_F(ViewTest, ProvidersAreListedInIdOrderWithTheirOwnUnits) {
  json picture = currentPicture(*store_, LivenessRules{}, kNow).value();
  std::vector<std::string> ids;
  for (const auto& p : picture["providers"]) ids.push_back(p["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{alpha_->id(), beta_->id(), gamma_->id()}));
  EXPECT_EQ(picture["providers"][2]["units"][0]["code"], "30000001");
}

TEST_F(ViewTest, ExerciseReportsAreListedApartFromTheRealPicture) {
  common::UnitStatusMsg s;
  s.unitCode = "20000001";
  s.operational = common::OperationalState::CLOSED;
  send(*beta_, 1, {}, s, kNow, common::Mode::EXERCISE);

  json picture = currentPicture(*store_, LivenessRules{}, kNow).value();
  const json* beta = provider(picture, beta_->id());
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ((*beta)["units"][0]["operational"], "unknown");
  ASSERT_EQ(picture["other_modes"].size(), 1u);
  EXPECT_EQ(picture["other_modes"][0]["mode"], "exercise");
  EXPECT_EQ(picture["other_modes"][0]["code"], "20000001");
  EXPECT_EQ(picture["other_modes"][0]["operational"], "closed");
}

TEST_F(ViewTest, ClockOffsetIsPositiveWhenTheProviderIsAheadAndFlaggedBeyondTwoMinutes) {
  send(*beta_, 0, {}, common::HeartbeatMsg{0, 0, common::ReadinessLevel::NORMAL, 1},
       kNow + 301'234);
  json picture = currentPicture(*store_, LivenessRules{}, kNow).value();
  const json* beta = provider(picture, beta_->id());
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ((*beta)["clock_offset_s"], 301.2);
  std::string text = pictureText(picture);
  EXPECT_NE(text.find("CLOCK 301 s AHEAD"), std::string::npos) << text;
  send(*beta_, 0, {}, common::HeartbeatMsg{0, 0, common::ReadinessLevel::NORMAL, 2},
       kNow - 119'000);
  picture = currentPicture(*store_, LivenessRules{}, kNow).value();
  EXPECT_EQ((*provider(picture, beta_->id()))["clock_offset_s"], -119.0);
  EXPECT_EQ(pictureText(picture).find("CLOCK"), std::string::npos) << "within two minutes";
}

TEST_F(ViewTest, TextRenderingNamesProvidersAndRefusals) {
  store_->db().exec("INSERT INTO rejections(reason, count) VALUES('bad_signature', 4)");
  std::string text = pictureText(currentPicture(*store_, LivenessRules{}, kNow).value());
  EXPECT_NE(text.find(alpha_->id()), std::string::npos) << text;
  EXPECT_NE(text.find("[never]"), std::string::npos) << text;
  EXPECT_NE(text.find("bad_signature 4"), std::string::npos) << text;
}

TEST_F(ViewTest, TextRenderingGivesEachReportsAgeInTheTimeTheBoardJudgesBy) {
  json picture = {{"generated_at", "2027-02-15T07:00:00Z"},
                  {"age_counts", "school_time"},
                  {"frames", 1},
                  {"rejected", json::object()},
                  {"providers",
                   {{{"id", "556677-0001"},
                     {"name", "Exempel"},
                     {"liveness", "live"},
                     {"last_seen", "2027-02-15T06:59:00Z"},
                     {"last_seq", 1},
                     {"continuity", "ok"},
                     {"clock_offset_s", nullptr},
                     {"units",
                      {{{"code", "10000001"},
                        {"operational", "normal"},
                        {"pupils_present", nullptr},
                        {"staff_available", nullptr},
                        {"reported_at", "2027-02-12T14:00:00Z"},
                        {"age_school_hours", 17.0}}}}}}}};
  std::string text = pictureText(picture);
  EXPECT_NE(text.find("age 17.0 h of school time"), std::string::npos) << text;
  picture["age_counts"] = "all_time";
  picture["providers"][0]["units"][0]["age_school_hours"] = 65.0;
  text = pictureText(picture);
  EXPECT_NE(text.find("age 65.0 h\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace samband::broker
