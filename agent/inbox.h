// Inbox: verified city messages (readiness checks, directives) kept in outbox.db until they are
// handled. Storing is idempotent: the broker may deliver the same message again.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent/city_message.h"
#include "common/result.h"

namespace samband::agent {

struct InboxEntry {
  int64_t id = 0;
  std::string kind;  // readiness_check | directive
  std::string ref;   // checkId or directiveId
  common::Bytes envelope;
  int64_t receivedAt = 0;
  bool handled = false;
};

class Inbox {
 public:
  explicit Inbox(SQLite::Database& db) : db_(db) {}
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Stores a verified message. Returns the new entry's id, or 0 when it was already stored.
  common::Result<int64_t> store(const VerifiedCityMessage& message, int64_t receivedAtMs);
  common::Result<std::vector<InboxEntry>> unhandled();
  common::Status markHandled(int64_t id, int64_t atMs);
  // Entries in total and not yet handled.
  static common::Result<std::pair<size_t, size_t>> counts(SQLite::Database& db);

 private:
  SQLite::Database& db_;
};

}  // namespace samband::agent
