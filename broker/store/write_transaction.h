// WriteTransaction: a write transaction (BEGIN IMMEDIATE … COMMIT) on a Store's connection, as a
// scope: rolled back unless committed. The broker's writers (the committer's batch, issuing a
// readiness check or a directive) use it so that no SQL text leaves broker/store/.
#pragma once

#include <optional>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

class WriteTransaction {
 public:
  // Takes the database's write lock (BEGIN IMMEDIATE). Errors: unavailable (busy, I/O).
  static common::Result<WriteTransaction> begin(Store& store);

  WriteTransaction(WriteTransaction&& other) noexcept;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  // Rolls back if neither commit() nor rollback() ran; never throws.
  ~WriteTransaction();

  // Makes the transaction durable. Errors: unavailable; the transaction is then rolled back.
  common::Status commit();
  // Undoes everything since begin(); never throws (a transaction SQLite already ended is fine).
  void rollback();

 private:
  explicit WriteTransaction(Store& store) : store_(&store) {}
  Store* store_;  // null once committed or rolled back
};

// PRAGMA data_version of the store's connection: changes when another connection commits.
common::Result<int64_t> dataVersion(Store& store);

}  // namespace samband::broker
