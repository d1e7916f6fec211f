// See write_transaction.h.
#include "broker/store/write_transaction.h"

#include <string>

namespace samband::broker {

common::Result<WriteTransaction> WriteTransaction::begin(Store& store) {
  try {
    store.db().exec("BEGIN IMMEDIATE");
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return WriteTransaction(store);
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept : store_(other.store_) {
  other.store_ = nullptr;
}

WriteTransaction::~WriteTransaction() { rollback(); }

common::Status WriteTransaction::commit() {
  if (store_ == nullptr) return common::internalError("transaction already ended");
  try {
    store_->db().exec("COMMIT");
  } catch (const std::exception& e) {
    rollback();
    return common::unavailable(e.what());
  }
  store_ = nullptr;
  return {};
}

void WriteTransaction::rollback() {
  if (store_ == nullptr) return;
  Store* store = store_;
  store_ = nullptr;
  try {
    store->db().exec("ROLLBACK");
  } catch (const std::exception&) {
    // The transaction may already be gone (SQLite ends it on some errors); nothing to undo.
  }
}

common::Result<int64_t> dataVersion(Store& store) {
  try {
    return store.db().execAndGet("PRAGMA data_version").getInt64();
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

}  // namespace samband::broker
