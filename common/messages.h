// Plain C++ forms of the wire bodies (schemas/samband.capnp). Code outside the codec works on
// these; only common/codec.cpp touches Cap'n Proto readers and builders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "schemas/samband.capnp.h"

namespace samband::common {

using wire::AckKind;
using wire::CheckOrigin;
using wire::ContinuityState;
using wire::Electricity;
using wire::Mode;
using wire::Offered;
using wire::OperationalState;
using wire::ReadinessLevel;
using wire::RejectReason;
using wire::SchoolForm;
using wire::Supply;

struct HeartbeatMsg {
  uint64_t headSeq = 0;
  uint32_t outboxPending = 0;
  ReadinessLevel level = ReadinessLevel::NORMAL;
  // Strictly increasing per key across restarts; the broker judges freshness by it, never by
  // sentAt. 0: not sent (an older agent), and the broker falls back to sentAt.
  uint64_t counter = 0;
};

struct UnitStatusMsg {
  std::string unitCode;
  OperationalState operational = OperationalState::UNKNOWN;
  std::string reason;
  int64_t expectedReopen = 0;
  int32_t pupilsEnrolled = -1;
  int32_t pupilsPresent = -1;
  int32_t staffTotal = -1;
  int32_t staffAvailable = -1;
  Offered criticalCare = Offered::UNKNOWN;
  Offered specialSupport = Offered::UNKNOWN;
  Electricity electricity = Electricity::UNKNOWN;
  int32_t backupHours = -1;
  Supply heating = Supply::UNKNOWN;
  Supply water = Supply::UNKNOWN;
  Supply food = Supply::UNKNOWN;
  Supply it = Supply::UNKNOWN;
  Supply telephony = Supply::UNKNOWN;
  int32_t foodDays = -1;
  std::string note;
  int64_t validUntil = 0;
  std::string closedUntil;  // "YYYY-MM-DD", last day closed (included); empty = not given
};

struct CapacityEntryMsg {
  SchoolForm form = SchoolForm::GRUNDSKOLA;
  uint8_t year = 0;
  int32_t enrolled = 0;
  int32_t seatsNow = 0;
  int32_t seats72h = 0;
};

struct CapacityMsg {
  std::string unitCode;
  std::vector<CapacityEntryMsg> entries;
};

struct ContinuityMsg {
  ContinuityState state = ContinuityState::OK;
  int64_t fromDate = 0;
  std::string note;
};

struct SelfTestMsg {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct ReadinessCheckMsg {
  std::string checkId;
  int64_t issuedAt = 0;
  int64_t deadline = 0;
  bool requireConfirmation = false;
  CheckOrigin origin = CheckOrigin::UNSTATED;  // the schedule, `readiness run`, or not said
};

struct ReadinessAnswerMsg {
  std::string checkId;
  std::vector<SelfTestMsg> results;
  bool confirmed = false;
  int64_t receivedAt = 0;
};

struct DirectiveMsg {
  std::string directiveId;
  uint64_t number = 0;
  std::string text;
  ReadinessLevel level = ReadinessLevel::UNCHANGED;
  bool requireAck = false;
  int64_t expiresAt = 0;
  std::vector<std::string> recipients;
};

struct DirectiveAckMsg {
  std::string directiveId;
  AckKind kind = AckKind::DELIVERED;
  Bytes issuerKeyId;  // 8 bytes: the city key that signed the directive; empty from older agents
};

struct KeyRotationMsg {
  Bytes newKeyId;
  Bytes newSignPublic;
  Bytes newCurvePublic;
};

// The city's signed "still here" (schemas/samband.capnp, TimeBeacon); its time is the body's
// sentAt.
struct TimeBeaconMsg {
  ReadinessLevel level = ReadinessLevel::NORMAL;
  uint64_t directiveNumber = 0;  // newest directive to every provider; 0 = none
  std::string checkId;           // newest readiness check; empty = none
  int64_t checkIssuedAt = 0;
  // Per issuing city key id (8 bytes): the newest directive to every provider (at most 16).
  std::vector<std::pair<Bytes, uint64_t>> directiveMarks;
};

using wire::EnrolmentAction;

// A city-signed roster record (schemas/samband.capnp, Enrolment).
struct EnrolmentMsg {
  EnrolmentAction action = EnrolmentAction::ENROL;
  std::string provider;
  Bytes keyId;        // 8 bytes for enrol and revoke
  Bytes signPublic;   // 32 bytes for enrol
  Bytes curvePublic;  // 32 bytes for enrol
  std::vector<std::string> units;
  int64_t effectiveAt = 0;
  // revoke: the key's chain head archived when the record was written (absent in older records).
  std::optional<uint64_t> revokedAfterSeq;
};

// A root-signed city key statement carried in a city body (schemas/samband.capnp, CityKeyRecord;
// common/city_keyring.h decodes and checks it).
struct CityKeyMsg {
  Bytes statement;
  Bytes signature;  // 64 bytes, by the city's root key
};

using wire::RosterInfoKind;

// One unit's roster metadata in a RosterInfo record (schemas/samband.capnp, UnitInfo).
struct UnitInfoMsg {
  std::string code;
  std::string name;      // empty: none
  std::string district;  // empty: none
  std::optional<double> lat;
  std::optional<double> lon;  // both set or neither
  std::string schoolForms;    // as stored, "grundskola:1;grundskola:2"
};

// A city-signed record of roster data that is not about keys (schemas/samband.capnp,
// RosterInfo): unit metadata, a duty contact, a provider's name.
struct RosterInfoMsg {
  RosterInfoKind kind = RosterInfoKind::UNIT_INFO;
  std::string provider;
  std::string text;                // dutyContact, providerName
  std::vector<UnitInfoMsg> units;  // unitInfo
};

using wire::AccountAction;

// A board account change (schemas/samband.capnp, AccountRecord): never the password hash.
struct AccountMsg {
  AccountAction action = AccountAction::SET;
  std::string name;
  std::string role;                    // set: "viewer" | "operator"
  std::vector<std::string> districts;  // set; empty: every district
  Bytes passwordDigest;                // set: 32 bytes, BLAKE2b-256 of the hash string
};

using Payload =
    std::variant<HeartbeatMsg, UnitStatusMsg, CapacityMsg, ContinuityMsg, ReadinessAnswerMsg,
                 DirectiveAckMsg, ReadinessCheckMsg, DirectiveMsg, KeyRotationMsg, TimeBeaconMsg,
                 EnrolmentMsg, CityKeyMsg, RosterInfoMsg, AccountMsg>;

struct Message {
  std::string senderId;
  Bytes keyId;       // 8 bytes
  uint64_t seq = 0;  // 0 for heartbeats
  Bytes prevHash;    // empty for seq 1 and heartbeats, else 32 bytes
  int64_t sentAt = 0;
  Mode mode = Mode::ACTUAL;
  Payload payload;

  bool isHeartbeat() const { return std::holds_alternative<HeartbeatMsg>(payload); }
  bool isTimeBeacon() const { return std::holds_alternative<TimeBeaconMsg>(payload); }
  // Heartbeats and time beacons carry seq 0 and no prevHash: they are outside every chain.
  bool isOutsideChain() const { return isHeartbeat() || isTimeBeacon(); }
  // True for the bodies only the city may send (readiness checks, directives, time beacons,
  // roster records).
  bool isFromCityOnly() const {
    return std::holds_alternative<ReadinessCheckMsg>(payload) ||
           std::holds_alternative<DirectiveMsg>(payload) || isTimeBeacon() ||
           std::holds_alternative<EnrolmentMsg>(payload) || isCityKey() || isRosterInfo() ||
           isAccount();
  }
  bool isRosterInfo() const { return std::holds_alternative<RosterInfoMsg>(payload); }
  bool isAccount() const { return std::holds_alternative<AccountMsg>(payload); }
  bool isCityKey() const { return std::holds_alternative<CityKeyMsg>(payload); }
};

// Short stable name of the payload kind ("unit_status", "heartbeat", ...), stored in the archive.
const char* payloadKindName(const Payload& payload);

// Broker -> agent messages.
struct AckMsg {
  uint64_t seq = 0;
  bool duplicate = false;
  Bytes receipt;  // encoded checkpoint receipt (common/checkpoint.h); empty when none
};
struct RejectMsg {
  uint64_t seq = 0;
  RejectReason reason = RejectReason::MALFORMED;
  uint64_t headSeq = 0;
  Bytes headHash;
  std::string detail;
};
struct HeadMsg {
  uint64_t headSeq = 0;
  Bytes headHash;
  int64_t serverTime = 0;
  Bytes beacon;  // the city's newest time beacon, a signed Envelope; empty = none
};
struct CityEnvelopeMsg {
  Bytes envelope;  // a city-signed Envelope, verified by the agent itself
};
using Downlink = std::variant<AckMsg, RejectMsg, HeadMsg, CityEnvelopeMsg>;

}  // namespace samband::common
