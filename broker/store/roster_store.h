// RosterStore: the roster tables (providers, keys, units): enrollment, revocation, the keys and
// unit owners the ingest gate checks against, the operator's key listing, and the roster file's
// unit metadata (names, districts, positions, school forms). Typed calls over one Store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "broker/store/store.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

struct KeyRecord {
  std::string keyId;  // hex
  std::string providerId;
  common::PublicKey signPublic{};
  common::PublicKey curvePublic{};
  int64_t enrolledAt = 0;
  std::optional<int64_t> revokedAt;
  // The key's chain head when it was revoked (the highest over every broker's revocation record,
  // docs/replication.md): its frames at or below are history, above are refused. Absent for a
  // revocation from before it was recorded: judged by revokedAt.
  std::optional<uint64_t> revokedAfterSeq;
};

struct EnrollOutcome {
  bool newProvider = false;
  bool keyAlreadyEnrolled = false;
  std::vector<std::string> unitsAdded;
  std::vector<std::string> unitsTransferred;
  bool nameChanged = false;  // a new provider, or the request names it otherwise
};

// What a city-signed roster record (common::EnrolmentMsg) changed in this broker's roster.
struct RecordOutcome {
  bool changed = false;  // false: the roster already reflected the record
  // Parts not applied because this roster contradicts them, each one sentence naming the key or
  // unit and what the operator can do; empty when everything was applied.
  std::vector<std::string> conflicts;
  // A revocation newly applied here while this broker's archive held more of the key's chain
  // than the record names: this head must be published in this broker's own revocation record,
  // so the peer admits those frames too (docs/replication.md).
  std::optional<uint64_t> publishRevokedAfterSeq;
};

// One enrolled key as `samband-broker keys` lists it.
struct KeyListing {
  std::string keyId;
  std::string providerId;
  std::string providerName;  // empty when the provider row has none
  int64_t enrolledAt = 0;
  std::optional<int64_t> revokedAt;
  int64_t lastHeartbeatSentAt = 0;  // 0: never
  int64_t frames = 0;               // archived frames signed with this key
  int64_t lastSeq = 0;              // 0: none
};

// A unit's roster metadata as stored. `schoolForms` is the stored text
// ("grundskola:1;grundskola:2"); picture/planning_source.cpp maps it to planning classes.
struct UnitRosterRow {
  std::string code;
  std::string providerId;
  std::string name;      // empty: none
  std::string district;  // empty: none
  std::optional<double> lat;
  std::optional<double> lon;
  std::string schoolForms;
};

// Calls on the connection of `store`; use from the thread that holds it. Every call catches the
// database's exceptions: errors are `unavailable` unless stated otherwise.
class RosterStore {
 public:
  explicit RosterStore(Store& store) : store_(store) {}

  // Adds a verified enrollment request to the roster in one transaction. A unit owned by another
  // provider is refused (conflict) unless `allowTransfer`. A key of another provider, a revoked
  // key, or a transport key already used by another key is refused (conflict).
  // `alsoInTransaction`, when set, runs in the same transaction before it commits (the city's
  // signed roster record, broker/city/city_chain.h); its error undoes everything.
  using EnrollHook = std::function<common::Status(const EnrollOutcome&)>;
  common::Result<EnrollOutcome> enroll(const common::EnrollRequest& request, bool allowTransfer,
                                       int64_t nowMs,
                                       const EnrollHook& alsoInTransaction = nullptr);
  // Revokes a key from `atMs` on. Errors: no such active key (notFound). `alsoInTransaction`
  // (given the key's provider) runs in the same transaction; its error undoes the revocation.
  // The hook also gets the key's chain head in the archive (the revocation record names it;
  // frames up to it stay valid, later ones are refused: KeyRecord::revokedAfterSeq).
  using RevokeHook =
      std::function<common::Status(const std::string& providerId, uint64_t revokedAfterSeq)>;
  common::Status revokeKey(const std::string& keyIdHex, int64_t atMs,
                           const RevokeHook& alsoInTransaction = nullptr);

  // Applies a roster record of a peer broker's city chain (an enrolment, a revocation, units
  // moving; docs/replication.md) as the local `enroll` / `revoke` / transfer that wrote it did:
  // enrol adds the provider (named by its id until a local enroll names it), the key and its
  // units; revoke revokes the key from the record's effectiveAt; units (and an enrolment's
  // units) move to the record's provider, the city having signed the move. Idempotent: what the
  // roster already holds changes nothing (a key enrolled on both brokers, a key already revoked
  // keeps its revocation time). A record this roster contradicts (the key or its transport key
  // belongs to another key or provider, a revocation of a key unknown here) changes nothing and
  // is named in `conflicts`. Does not begin a transaction: the caller holds the write
  // transaction that archives the record. Errors: unavailable.
  common::Result<RecordOutcome> applyRecord(const common::EnrolmentMsg& record);
  // Key id (hex) -> revokedAfterSeq of every revoked key that has one. Errors: unavailable.
  common::Result<std::unordered_map<std::string, uint64_t>> revokedHeads();

  common::Result<std::vector<KeyRecord>> loadKeys();
  // unit code -> provider id
  common::Result<std::unordered_map<std::string, std::string>> loadUnitOwners();
  // The roster's change counter (migration 18): raised by every change to what loadKeys() and
  // loadUnitOwners() return, by any process. Read it before them: a snapshot is then at least as
  // new as the number it is stored with.
  common::Result<int64_t> rosterVersion();

  // Every key (or those of `provider`), by provider and enrollment time.
  common::Result<std::vector<KeyListing>> listKeys(const std::optional<std::string>& provider);

  // Replaces the metadata of the units in `rows` in one transaction (units of providers not yet
  // enrolled are added under a placeholder provider record). A unit that belongs to another
  // provider is refused (invalidInput, naming up to 20 units) unless `allowTransfer`. Nothing is
  // written on any error.
  // `alsoInTransaction` gets the units that changed owner, by new provider, and runs in the same
  // transaction; its error undoes the import. Then `infoInTransaction` gets the rows that are
  // new or differ from what was stored (their info_at becomes `nowMs`): the city's signed unit
  // metadata records (docs/replication.md); its error undoes the import too.
  using TransferHook =
      std::function<common::Status(const std::map<std::string, std::vector<std::string>>&)>;
  using InfoHook = std::function<common::Status(const std::vector<UnitRosterRow>&)>;
  common::Status importUnits(const std::vector<UnitRosterRow>& rows, bool allowTransfer,
                             const TransferHook& alsoInTransaction = nullptr, int64_t nowMs = 0,
                             const InfoHook& infoInTransaction = nullptr);
  // Every unit, by code.
  common::Result<std::vector<UnitRosterRow>> exportUnits();

  // The duty contact the city keeps for `provider` (who to call about a takeover); empty text
  // clears it. When it changes, its time becomes `nowMs` and `alsoInTransaction` (the city's
  // signed record) runs in the same transaction; its error undoes the change. Setting the
  // contact it already has changes and records nothing. Errors: no such provider (notFound).
  using ChangeHook = std::function<common::Status()>;
  common::Status setDutyContact(const std::string& provider, const std::string& contact,
                                int64_t nowMs = 0, const ChangeHook& alsoInTransaction = nullptr);
  // Applies a peer broker's unit metadata, duty contact or provider name record
  // (common::RosterInfoMsg, set at `atMs`, the record's sentAt) as the local `roster import`,
  // `contact set` or `enroll` did there. The newest version of each item wins on every broker
  // (by its time; equal times: the greater text), so a record older than what this roster holds
  // changes nothing, and so does one it already reflects. A unit that belongs to another
  // provider here, or a duty contact of a provider unknown here, is not applied and is named in
  // `conflicts`. Does not begin a transaction: the caller holds the write transaction that
  // archives the record. Errors: unavailable.
  common::Result<RecordOutcome> applyInfo(const common::RosterInfoMsg& record, int64_t atMs);
  // Every provider as (id, name, duty contact; empty: none), by id.
  common::Result<std::vector<std::tuple<std::string, std::string, std::string>>> dutyContacts();

 private:
  Store& store_;
};

}  // namespace samband::broker
