// A fresh broker database in a temporary directory, for the tests of the store and of every
// subsystem above it, and a way to enrol a provider in it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/support/temp_dir.h"

namespace samband::broker::testing {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_.file("broker.db"), Store::Access::readWrite);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  // Enrols `provider` under the name "Huvudman <id>" with the one unit `unitCode`, as its
  // first enrolment would at `atMs`. A refusal fails the test.
  void enrollProvider(const common::Identity& provider, const std::string& unitCode, int64_t atMs) {
    ASSERT_TRUE(store_) << "the store did not open";
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(provider, "Huvudman " + provider.id(), {unitCode}, atMs), false,
        atMs);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  samband::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace samband::broker::testing
