// StorePool: a few SQLite connections handed out to one thread at a time (the board's HTTP
// worker threads). A connection is never used by two threads at once: a Lease owns it until it
// goes out of scope, then it returns to the pool.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

class StorePool {
 public:
  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<Store> store) : pool_(pool), store_(std::move(store)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (store_) pool_->giveBack(std::move(store_));
    }
    Store& operator*() { return *store_; }
    Store* operator->() { return store_.get(); }
    SQLite::Database& db() { return store_->db(); }

   private:
    StorePool* pool_;
    std::unique_ptr<Store> store_;
  };

  // Connections to `path` opened with `access`; at most `maxIdle` are kept open between uses.
  StorePool(std::string path, Store::Access access, size_t maxIdle);
  StorePool(const StorePool&) = delete;
  StorePool& operator=(const StorePool&) = delete;

  // An idle connection, or a new one. Errors: the database cannot be opened (unavailable).
  // Thread-safe.
  common::Result<Lease> acquire();

 private:
  void giveBack(std::unique_ptr<Store> store);

  std::string path_;
  Store::Access access_;
  size_t maxIdle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Store>> idle_;
};

}  // namespace samband::broker
