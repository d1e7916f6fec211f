// ReadTransaction: one read transaction (BEGIN … COMMIT) on a Store's connection, as a scope, so
// that several reads see the same committed state of the database (WAL: the snapshot of the
// first read holds until the end). Used by renderers that read in more than one statement.
#pragma once

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

class ReadTransaction {
 public:
  // Starts a deferred transaction unless the connection is already in one (then this scope
  // leaves it alone). Errors: unavailable.
  static common::Result<ReadTransaction> begin(Store& store);

  ReadTransaction(ReadTransaction&& other) noexcept;
  ReadTransaction& operator=(ReadTransaction&&) = delete;
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  // Ends the transaction it started; never throws.
  ~ReadTransaction();

 private:
  explicit ReadTransaction(Store* store) : store_(store) {}
  Store* store_;  // null: nothing to end
};

}  // namespace samband::broker
