// CityKeyAnnouncer: hands every agent connection the city's key records (root-signed certificates
// and revocations archived in the city chains) before the first heartbeat reply it gets, and any
// record archived later once, so agents that pin only the root learn which broker keys sign for
// the city and which are revoked. Nothing is sent where no record exists (a single-key
// installation), so older agents see no change there. Owned by the committer, on its thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"

namespace samband::broker {

class CityKeyAnnouncer {
 public:
  // How often the records are read again from the database (a `city-key add` from the CLI).
  static constexpr int64_t kRefreshMs = 5'000;

  // The record envelopes `routingId` has not been given yet (each once per connection), oldest
  // first. Errors reading the store are logged and the records held so far are used.
  std::vector<common::Bytes> dueFor(Store& store, const std::string& routingId, int64_t nowMs);
  // A key record was archived (a peer's certificate, pulled by the replication thread's own
  // committer): every announcer of this process reads the records again at its next dueFor()
  // instead of waiting for kRefreshMs, so agents hear of the key before anything it signs.
  static void recordArchived();

 private:
  void refresh(Store& store, int64_t nowMs);

  std::vector<common::Bytes> records_;
  int64_t refreshedAt_ = INT64_MIN;
  uint64_t generation_ = 0;                       // of recordArchived() calls, when last read
  std::unordered_map<std::string, size_t> sent_;  // routing id -> records given so far
};

}  // namespace samband::broker
