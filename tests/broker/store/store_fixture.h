// A fresh broker database in a temporary directory, for the tests of the store and of every
// subsystem above it.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "broker/store/store.h"
#include "tests/support/temp_dir.h"

namespace samband::broker::testing {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_.file("broker.db"), Store::Access::readWrite);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  samband::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace samband::broker::testing
