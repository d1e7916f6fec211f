// See read_transaction.h.
#include "broker/store/read_transaction.h"

#include <sqlite3.h>

namespace samband::broker {

common::Result<ReadTransaction> ReadTransaction::begin(Store& store) {
  if (sqlite3_get_autocommit(store.db().getHandle()) == 0) return ReadTransaction(nullptr);
  try {
    store.db().exec("BEGIN");
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot start a read transaction: ") + e.what());
  }
  return ReadTransaction(&store);
}

ReadTransaction::ReadTransaction(ReadTransaction&& other) noexcept : store_(other.store_) {
  other.store_ = nullptr;
}

ReadTransaction::~ReadTransaction() {
  if (store_ == nullptr) return;
  try {
    store_->db().exec("COMMIT");
  } catch (const std::exception&) {
    // A read transaction has nothing to keep; SQLite may already have ended it.
    try {
      store_->db().exec("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
}

}  // namespace samband::broker
