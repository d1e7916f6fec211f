// See store_pool.h.
#include "broker/store/store_pool.h"

namespace samband::broker {

StorePool::StorePool(std::string path, Store::Access access, size_t maxIdle)
    : path_(std::move(path)), access_(access), maxIdle_(maxIdle) {}

common::Result<StorePool::Lease> StorePool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(store));
    }
  }
  auto store = Store::open(path_, access_);
  if (!store) return store.error();
  if (access_ == Store::Access::readOnly) {
    // Belt and braces: the data endpoints can never write, whatever a query says.
    try {
      (*store)->db().exec("PRAGMA query_only=ON");
    } catch (const SQLite::Exception& e) {
      return common::unavailable("cannot open database " + path_ + ": " + e.what());
    }
  }
  return Lease(this, std::move(*store));
}

void StorePool::giveBack(std::unique_ptr<Store> store) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < maxIdle_) idle_.push_back(std::move(store));
}

}  // namespace samband::broker
