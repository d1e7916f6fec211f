// CityChain: the city's own signed messages (readiness checks, directives). Each is the next
// body of the city's hash chain, archived in `frames` like any provider's, and queued in
// `outbound` for each recipient; the broker delivers queued messages when the agent is
// connected (see Committer). Used by the CLI processes and by the scheduler in `serve`.
#pragma once

#include <string>
#include <vector>

#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

// Meta keys under which the city's public signing key is kept, so `audit` can verify the
// city's own chain without the secret identity file.
inline constexpr const char* kMetaCityKeyId = "city_key_id";
inline constexpr const char* kMetaCitySignPublic = "city_sign_public";

struct IssuedMessage {
  int64_t frameId = 0;
  uint64_t seq = 0;
  common::Bytes envelope;
};

class CityChain {
 public:
  // `store` and `city` must outlive this object; `city` is the city's identity.
  CityChain(Store& store, const common::Identity& city);

  // Records the city's public key in meta (idempotent). Errors: the database (unavailable).
  common::Status publishKey();
  // Signs `payload` as the next body of the city's chain, archives it and queues it for every
  // provider in `recipients` (kind/ref name it in the outbound queue). The caller holds a write
  // transaction (WriteTransaction), so CLI and broker never take the same seq. Errors:
  // unavailable (the caller rolls back).
  common::Result<IssuedMessage> issue(const common::Payload& payload, common::Mode mode,
                                      int64_t nowMs, const std::vector<std::string>& recipients,
                                      const std::string& kind, const std::string& ref);
  // Archives a city-signed roster record (an enrolment, a revocation, units moving) as the next
  // body of the city's chain, mode `system`, sent to nobody. The caller holds the write
  // transaction of the roster change it records. Errors: unavailable (the caller rolls back).
  common::Result<IssuedMessage> record(const common::EnrolmentMsg& record, int64_t nowMs);
  // The same for unit metadata, a duty contact or a provider's name (issue 15): the caller holds
  // the write transaction of the change, whose time must be `nowMs` (the record's sentAt orders
  // versions of the item on every broker). Errors: unavailable.
  common::Result<IssuedMessage> record(const common::RosterInfoMsg& record, int64_t nowMs);
  // The same for a board account's change (never its password hash). Errors: unavailable.
  common::Result<IssuedMessage> record(const common::AccountMsg& record, int64_t nowMs);
  // Archives a root-signed certificate or revocation of a city key (common/city_keyring.h) as
  // the next body of this broker's city chain, mode `system`, queued for nobody: the committer
  // hands key records to agents ahead of heartbeat replies. The caller holds a write
  // transaction. Errors: unavailable.
  common::Result<IssuedMessage> recordKey(const common::CityKeyMsg& key, int64_t nowMs);

 private:
  Store& store_;
  const common::Identity& city_;
};

// The unit metadata records of `rows` (all of one provider's units in a record, at most
// kMaxRosterInfoUnits and about 32 KiB each), by provider.
std::vector<common::RosterInfoMsg> unitInfoRecords(const std::vector<UnitRosterRow>& rows);

// The record of `request`'s key and units (action enrol).
common::EnrolmentMsg enrolmentRecord(const common::EnrollRequest& request, int64_t effectiveAt);

// Enrolled providers (with at least one unrevoked key), sorted. Errors: unavailable.
common::Result<std::vector<std::string>> enrolledProviders(Store& store);

}  // namespace samband::broker
