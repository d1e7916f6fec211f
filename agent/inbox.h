// Inbox: verified city messages (readiness checks, directives) kept in outbox.db until they are
// handled. Storing is idempotent: the broker may deliver the same message again.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
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
  // What became of it: "" (not yet handled), applied, refused, answered, confirmed, acknowledged.
  std::string state;
  std::string reason;    // for refused: "<code>: <sentence>" (forged, malformed, expired, ...)
  std::string results;   // for checks: the JSON self-test results sent in the answer
  int64_t actedAt = 0;   // when a person confirmed or acknowledged it (0: not yet)
  bool verified = true;  // false: failed verification; kind and ref are only what it claimed
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

  // Records a message relayed as from the city that failed verification (bad signature,
  // malformed) as refused with `reason`, so `samband-agent inbox` shows it. Keyed by the hash of
  // the whole envelope, so a forged copy never shadows the genuine body. Returns the new id, or
  // 0 when the same bytes were recorded before. Keeps the newest kMaxRefused refused entries.
  common::Result<int64_t> storeRefused(const common::Bytes& envelope, const std::string& reason,
                                       int64_t atMs);
  // Records what the running agent did with entry `id` (state applied, refused or answered;
  // the reason of a refusal; the self-test results of an answer) and marks it handled.
  common::Status finish(int64_t id, const std::string& state, const std::string& reason,
                        const std::string& results, int64_t atMs);
  // A person confirmed (state confirmed) or acknowledged (acknowledged) entry `id`.
  common::Status recordPersonAction(int64_t id, const std::string& state, int64_t atMs);
  // The newest `limit` entries, newest first.
  common::Result<std::vector<InboxEntry>> list(size_t limit);
  // The entry of `kind` with id `ref`, a verified one first (a forged copy reusing a genuine id
  // never wins); nullopt when there is none.
  common::Result<std::optional<InboxEntry>> find(const std::string& kind, const std::string& ref);
  // The oldest verified entry of `kind` with id `ref` in `state` (e.g. "applied"); nullopt when
  // there is none. Two brokers cut off from each other may both number a directive D-000043 (one
  // entry per signing city key): `ack` takes them one by one.
  common::Result<std::optional<InboxEntry>> findInState(const std::string& kind,
                                                        const std::string& ref,
                                                        const std::string& state);

  static constexpr size_t kMaxRefused = 1000;
  // Entries in total and not yet handled.
  static common::Result<std::pair<size_t, size_t>> counts(SQLite::Database& db);

 private:
  SQLite::Database& db_;
};

}  // namespace samband::agent
