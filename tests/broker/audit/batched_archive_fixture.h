// The archive the batch tests (issue 16) store through the real gate and committer: a real SQLite
// file with the city's key published and two providers enrolled by city-signed records, alpha
// owning kBatchedUnitA and beta kBatchedUnitB, and the ingest's roster, gate and committer over
// it. Used by stored_batch_test.cpp and batch_body_once_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "broker/city/city_chain.h"
#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/metrics/metrics.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/broker/ingest/sender_chain.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker::testing {

inline constexpr const char* kBatchedUnitA = "10000001";
inline constexpr const char* kBatchedUnitB = "20000001";

class BatchedArchiveFixture : public ::testing::Test {
 protected:
  // Opens (creating) the archive `file` in the test's directory and enrols alpha and beta.
  void openArchive(const std::string& file) {
    auto store = Store::open(dir_.file(file), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    CityChain cityChain(*store_, *city_);
    ASSERT_TRUE(cityChain.publishKey().ok());
    const int64_t now = samband::test_time::kNow;
    for (auto* id : {alpha_.get(), beta_.get()}) {
      auto request = common::makeEnrollRequest(
          *id, "Huvudman", {id == alpha_.get() ? kBatchedUnitA : kBatchedUnitB}, now);
      auto r = RosterStore(*store_).enroll(request, false, now, [&](const EnrollOutcome&) {
        auto issued = cityChain.record(enrolmentRecord(request, now), now);
        return issued ? common::Status{} : common::Status{issued.error()};
      });
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
    roster_ = std::make_unique<RosterCache>(dir_.file(file), clock_);
    ingress_ = std::make_unique<Ingress>(*roster_, clock_, &metrics_);
    committer_ = std::make_unique<Committer>(*store_, clock_, metrics_, CommitterCity{city_.get()});
  }

  samband::testing::TempDir dir_;
  common::FakeClock clock_{samband::test_time::kNow};
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> city_ = common::Identity::generate("city");
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
  std::unique_ptr<RosterCache> roster_;
  std::unique_ptr<Ingress> ingress_;
  std::unique_ptr<Committer> committer_;
  Chain alphaChain_{*alpha_};
  Chain betaChain_{*beta_};
};

}  // namespace samband::broker::testing
