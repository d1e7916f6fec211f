# Samband wire format. Every frame on the wire is an Envelope; its body bytes are a serialized
# Body, signed exactly as sent. Fields are only ever added, never renumbered or removed.
@0xe8cf740bb2139fb5;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("samband::wire");

struct Envelope {
  body @0 :Data;
  # A serialized Body message (standard unpacked Cap'n Proto encoding), exactly as signed.
  signature @1 :Data;
  # 64-byte Ed25519 signature over "samband/v1/body" NUL-terminated, followed by the body bytes.
}

enum Mode {
  # As in CAP and EDXL-DE: only `actual` traffic changes the real picture.
  actual @0;
  exercise @1;
  system @2;
  test @3;
}

enum ReadinessLevel {
  # The city's preparedness level; `unchanged` means a directive does not touch it.
  unchanged @0;
  normal @1;
  heightened @2;
  highest @3;
}

struct Body {
  senderId @0 :Text;
  # Provider organisation number "NNNNNN-NNNN", or "city" for the city.
  keyId @1 :Data;
  # 8 bytes: the first bytes of BLAKE2b-256 over the sender's Ed25519 public key.
  seq @2 :UInt64;
  # Strictly increasing per (sender, key), starting at 1. Heartbeats carry 0: they are outside
  # the sequence and the hash chain.
  prevHash @3 :Data;
  # BLAKE2b-256 of the sender's previous body bytes under this key; empty for seq 1 and heartbeats.
  sentAt @4 :Int64;
  # Milliseconds since the Unix epoch on the sender's clock, when the body was signed.
  mode @5 :Mode;

  union {
    heartbeat @6 :Heartbeat;            # agent -> broker
    unitStatus @7 :UnitStatus;          # agent -> broker
    capacity @8 :Capacity;              # agent -> broker
    continuity @9 :Continuity;          # agent -> broker
    readinessAnswer @10 :ReadinessAnswer;  # agent -> broker
    directiveAck @11 :DirectiveAck;     # agent -> broker
    readinessCheck @12 :ReadinessCheck; # city -> agent
    directive @13 :Directive;           # city -> agent
    keyRotation @14 :KeyRotation;       # agent -> broker, signed by the old key
    timeBeacon @15 :TimeBeacon;         # city -> agents, on every heartbeat reply (Head.beacon)
    enrolment @16 :Enrolment;           # city -> archive only: a roster record (never sent)
    cityKey @17 :CityKeyRecord;         # city -> archive and agents: a root-signed key statement
    rosterInfo @18 :RosterInfo;         # city -> archive only: unit metadata, a duty contact or a
                                        # provider's name (issue 15, docs/replication.md)
    account @19 :AccountRecord;         # city -> archive only: a board account changed (issue 15)
  }
}

struct Heartbeat {
  headSeq @0 :UInt64;
  # The highest seq the agent has signed under this key (its chain head).
  outboxPending @1 :UInt32;
  # Messages in the agent's outbox not yet acknowledged.
  level @2 :ReadinessLevel;
  # The level the agent currently applies.
  counter @3 :UInt64;
  # Strictly increasing per key, across restarts; 0 = not sent (an older agent). The broker
  # judges a heartbeat's freshness by it, never by the sender's clock.
}

enum OperationalState {
  unknown @0;
  normal @1;
  reduced @2;
  remote @3;     # premises closed, teaching continues remotely
  closed @4;
  relocated @5;
}

enum Supply {
  # State of a utility or service at the unit.
  unknown @0;
  ok @1;
  degraded @2;
  down @3;
}

enum Electricity {
  unknown @0;
  grid @1;
  backup @2;
  none @3;
}

enum Offered {
  unknown @0;
  no @1;
  yes @2;
}

struct UnitStatus {
  # Counts and states only; never personal data.
  unitCode @0 :Text;                 # 8-digit school-unit code
  operational @1 :OperationalState;
  reason @2 :Text;                   # why not normal (short text)
  expectedReopen @3 :Int64;          # ms since epoch; 0 = not given
  pupilsEnrolled @4 :Int32 = -1;     # -1 = not given
  pupilsPresent @5 :Int32 = -1;
  staffTotal @6 :Int32 = -1;
  staffAvailable @7 :Int32 = -1;
  criticalCare @8 :Offered;          # care for children of parents in samhällsviktig verksamhet
  specialSupport @9 :Offered;        # care for pupils needing special support
  electricity @10 :Electricity;
  backupHours @11 :Int32 = -1;       # hours of backup power left; -1 = not given
  heating @12 :Supply;
  water @13 :Supply;
  food @14 :Supply;
  it @15 :Supply;
  telephony @16 :Supply;
  foodDays @17 :Int32 = -1;          # days of food in stock; -1 = not given
  note @18 :Text;                    # short free text
  validUntil @19 :Int64;             # ms since epoch; 0 = until the next report
  closedUntil @20 :Text;
  # The last day the unit stays closed, "YYYY-MM-DD" in the city's local calendar (included:
  # it opens again the day after); "" = not given. Set only with operational = closed. Takeover
  # planning plans a closed unit only when this lies beyond its horizon (docs/planning.md).
}

enum SchoolForm {
  forskola @0;
  forskoleklass @1;
  grundskola @2;
  gymnasieskola @3;
  fritidshem @4;
  anpassadGrundskola @5;
  anpassadGymnasieskola @6;
}

struct CapacityEntry {
  form @0 :SchoolForm;
  year @1 :UInt8;        # 0 where the form has no years
  enrolled @2 :Int32;    # pupils enrolled in this form and year
  seatsNow @3 :Int32;    # pupils the unit can take in now
  seats72h @4 :Int32;    # pupils the unit can take in within 72 hours
}

struct Capacity {
  unitCode @0 :Text;
  entries @1 :List(CapacityEntry);
}

enum ContinuityState {
  ok @0;
  atRisk @1;
  cannotContinue @2;
}

struct Continuity {
  state @0 :ContinuityState;
  fromDate @1 :Int64;    # ms since epoch when it applies; 0 = now
  note @2 :Text;
}

struct SelfTest {
  name @0 :Text;         # e.g. "clock_skew", "disk_free", "outbox_depth"
  passed @1 :Bool;
  detail @2 :Text;
}

struct ReadinessCheck {
  checkId @0 :Text;
  issuedAt @1 :Int64;
  deadline @2 :Int64;
  requireConfirmation @3 :Bool;
  origin @4 :CheckOrigin;
  # Who issued it: the daily schedule or a person (`readiness run`). A peer broker lets a
  # scheduled check (or one of `unstated` origin, from a broker older than this field) take the
  # day's scheduled slot, never a manual one (docs/replication.md).
}

enum CheckOrigin {
  unstated @0;           # a broker older than this field
  scheduled @1;          # the broker's daily schedule
  manual @2;             # `samband-broker readiness run`
}

struct ReadinessAnswer {
  checkId @0 :Text;
  results @1 :List(SelfTest);
  confirmed @2 :Bool;    # a person confirmed with `samband-agent confirm`
  receivedAt @3 :Int64;  # when the agent received the check (agent clock)
}

struct Directive {
  directiveId @0 :Text;
  number @1 :UInt64;     # strictly increasing per city key; agents refuse older ones
  text @2 :Text;
  level @3 :ReadinessLevel;
  requireAck @4 :Bool;
  expiresAt @5 :Int64;
  recipients @6 :List(Text);   # provider ids; empty = all
}

enum AckKind {
  delivered @0;          # the agent received and verified it
  acknowledged @1;       # a person acknowledged it
}

struct DirectiveAck {
  directiveId @0 :Text;
  kind @1 :AckKind;
  issuerKeyId @2 :Data;  # the key id (8 bytes) of the city key that signed the directive
                         # acknowledged: two brokers apart may number two directives alike.
                         # Empty from older agents: the ack names the directive by id alone.
}

struct KeyRotation {
  newKeyId @0 :Data;
  newSignPublic @1 :Data;
  newCurvePublic @2 :Data;
}

enum EnrolmentAction {
  enrol @0;      # the key (with its transport key) belongs to the provider, with these units
  revoke @1;     # the key is revoked from effectiveAt on
  units @2;      # these units now belong to the provider (a roster transfer)
}

struct Enrolment {
  # A city-signed roster record, archived in the city's chain in the same transaction as the
  # roster change, so the archive and the city's public key alone say which keys were valid.
  action @0 :EnrolmentAction;
  provider @1 :Text;      # organisation number
  keyId @2 :Data;         # 8 bytes (enrol, revoke); empty for units
  signPublic @3 :Data;    # 32 bytes (enrol); empty otherwise
  curvePublic @4 :Data;   # 32 bytes (enrol); empty otherwise
  units @5 :List(Text);   # unit codes (enrol, units)
  effectiveAt @6 :Int64;  # ms since epoch: when the enrolment or revocation takes effect
  hasRevokedAfterSeq @7 :Bool;
  revokedAfterSeq @8 :UInt64;
  # revoke (issue 15, docs/replication.md "Revocations and pulled history"): the revoked key's
  # chain head in the archive of the broker that wrote this record, in the same transaction, so
  # every frame of the key at or below it was archived before the revocation and stays valid on
  # every broker, and none above it is. Absent (hasRevokedAfterSeq false) in older records:
  # judged by effectiveAt.
}

enum RosterInfoKind {
  unitInfo @0;      # the metadata of `units` (their provider is `provider`)
  dutyContact @1;   # `text` is the provider's duty contact (empty: cleared)
  providerName @2;  # `text` is the provider's name
}

struct UnitInfo {
  # One unit's roster metadata, as `samband-broker roster import` stores it.
  code @0 :Text;         # 8-digit school-unit code
  name @1 :Text;         # empty: none
  district @2 :Text;     # empty: none
  hasPosition @3 :Bool;  # false: no position (latitude and longitude are then 0)
  latitude @4 :Float64;  # WGS84 degrees
  longitude @5 :Float64;
  schoolForms @6 :Text;  # as stored: "grundskola:1;grundskola:2"; empty: none
}

struct RosterInfo {
  # A city-signed record of roster data that is not about keys (issue 15): written in the same
  # transaction as the change by `roster import` (unitInfo), `contact set` (dutyContact) and
  # `enroll` (providerName), archived in the city's chain (mode system, sent to nobody) and
  # applied by a peer broker of the city. Its Body's sentAt orders records of the same item:
  # the newest wins on every broker.
  kind @0 :RosterInfoKind;
  provider @1 :Text;         # organisation number
  text @2 :Text;             # dutyContact, providerName: one line, at most 200 bytes
  units @3 :List(UnitInfo);  # unitInfo: 1..200 units of `provider`; empty otherwise
}

enum AccountAction {
  set @0;     # the account exists with this role, these districts and this password
  remove @1;  # the account is removed
}

struct AccountRecord {
  # A board account as `samband-broker user add|passwd|remove` or the board's password change
  # left it (issue 15, docs/decisions/0014-replicated-board-accounts.md), so a peer broker of the
  # city can let the user log in after a failover. Never the password hash itself: the archive
  # goes to inquiries. The hash travels beside the frames in the pull answer, and a broker stores
  # it only when its BLAKE2b-256 is `passwordDigest`. The Body's sentAt orders changes.
  action @0 :AccountAction;
  name @1 :Text;               # the user name (1..64 bytes: letters, digits, . _ - @)
  role @2 :Text;               # set: "viewer" or "operator"; empty for remove
  districts @3 :List(Text);    # set: the districts the account is limited to; empty: all
  passwordDigest @4 :Data;     # set: 32 bytes, BLAKE2b-256 of the password hash string
}

enum RejectReason {
  malformed @0;
  oversized @1;
  badSignature @2;
  unknownSender @3;
  keyMismatch @4;
  revoked @5;
  unitNotOwned @6;
  replay @7;
  outOfOrder @8;
  forbidden @9;
  overloaded @10;
  internal @11;
  clockSkew @12;         # sentAt more than 30 days from the broker's clock, either way
  personalData @13;      # free text holds a personal identity or coordination number
}

struct Ack {
  seq @0 :UInt64;        # this seq (and the sender's chain up to it) is durably stored
  duplicate @1 :Bool;    # it had been stored before
  receipt @2 :Data;      # a city-signed checkpoint receipt for this head (docs/protocol.md,
                         # "Checkpoints and receipts"); empty for a duplicate or an older broker
}

struct Reject {
  seq @0 :UInt64;
  reason @1 :RejectReason;
  headSeq @2 :UInt64;    # the broker's chain head for this sender and key
  headHash @3 :Data;
  detail @4 :Text;
}

struct Head {
  # The broker's answer to a heartbeat: where the sender's chain stands.
  headSeq @0 :UInt64;
  headHash @1 :Data;
  serverTime @2 :Int64;  # broker clock, ms since epoch (for the clock-skew self-test)
  beacon @3 :Envelope;
  # The city's newest time beacon (a city-signed Body holding a TimeBeacon), the same bytes for
  # every agent until the next one; absent from a broker too old to make them.
}

struct TimeBeacon {
  # The city's signed "still here", made at least once a minute and shared by every agent. Its
  # Body comes from "city" with seq 0 and no prevHash (outside the city chain); sentAt is the
  # time it was signed. An agent that stops receiving newer ones while connected knows the
  # city's messages are being withheld; one naming a check or directive it lacks tells it which.
  level @0 :ReadinessLevel;
  # The city's readiness level when it was signed.
  directiveNumber @1 :UInt64;
  # The newest directive sent to every provider; 0 = none yet.
  checkId @2 :Text;
  # The newest readiness check (checks go to every enrolled provider); empty = none yet.
  checkIssuedAt @3 :Int64;
  # When that check was issued, ms since epoch; 0 = none.
  directiveMarks @4 :List(DirectiveMark);
  # Per issuing broker key (issue 15: each broker of a city issues directives, docs/replication.md):
  # the newest directive to every provider this broker holds from that key. directiveNumber is
  # the highest of them. At most 16.
}

struct DirectiveMark {
  keyId @0 :Data;       # 8 bytes: the city key that signed the directive
  number @1 :UInt64;    # its number
}

struct Downlink {
  # Broker -> agent. Authenticated by the CURVE session; city messages are signed themselves.
  union {
    ack @0 :Ack;
    reject @1 :Reject;
    head @2 :Head;
    city @3 :Envelope;
  }
}

# City key hierarchy (issue 15)

struct CityKeyRecord {
  # A statement of the city's offline root key about one broker's operational city key: a
  # certificate ("this key signs for the city") or a revocation ("no longer, from this time on").
  # Archived in the issuing broker's city chain (mode system) and sent to agents behind the
  # heartbeat reply; anyone holding the root's public key can check it without trusting the
  # broker that carries it (docs/protocol.md, "City keys").
  statement @0 :Data;
  # The statement's fixed binary layout (docs/protocol.md, "City keys"): version 1, action
  # (1 certify, 2 revoke), root key id (8), key id (8), sign public (32), curve public (32),
  # issuedAt and effectiveAt (int64 big-endian), label length (uint16 big-endian) and label.
  signature @1 :Data;
  # 64-byte Ed25519 signature by the root over "samband/v1/city-key" NUL-terminated, followed by
  # the statement bytes.
}

# Batch envelopes (issue 16)

struct BatchEnvelope {
  # One Ed25519 signature over up to 64 consecutive reports of one sender and key (at most 48 KiB
  # on the wire). On the uplink it follows the 8 ASCII bytes "SBATCHv1" (docs/protocol.md,
  # "Batches"): a broker older than batches reads that prefix as an impossible Cap'n Proto
  # segment table and refuses the frame as `malformed`, and the agent falls back to single
  # envelopes. The broker stores the whole frame as sent, so the audit can re-verify it.
  bodies @0 :List(Data);
  # Serialized Body messages (standard unpacked encoding), exactly as signed: one sender and key,
  # seq consecutive, each prevHash the BLAKE2b-256 of the body before it; no heartbeats.
  signature @1 :Data;
  # 64-byte Ed25519 signature over "samband/v1/batch" NUL, then for each body its length as 4
  # bytes big-endian followed by the body bytes.
}
