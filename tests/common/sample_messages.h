// Sample bodies for codec and chain tests: one valid message of every payload kind, every field
// set to a non-default value so a dropped field shows up in a round trip.
#pragma once

#include <string>
#include <tuple>
#include <utility>

#include "common/bytes.h"
#include "common/messages.h"

namespace samband::common::testing {

inline constexpr const char* kProvider = "556677-8899";
inline constexpr const char* kUnit = "12345678";
inline constexpr int64_t kSentAt = 1764067580123;  // 2025-11-25T10:46:20.123Z

inline Bytes bytesOf(size_t size, uint8_t fill) { return Bytes(size, fill); }

inline Message envelopeFields(Payload payload, uint64_t seq = 1) {
  Message m;
  m.senderId = kProvider;
  m.keyId = bytesOf(8, 0x4b);
  m.seq = seq;
  if (seq > 1) m.prevHash = bytesOf(32, 0x7e);
  m.sentAt = kSentAt;
  m.mode = Mode::EXERCISE;
  m.payload = std::move(payload);
  return m;
}

inline HeartbeatMsg sampleHeartbeat() {
  return {41, 7, ReadinessLevel::HEIGHTENED, (uint64_t{3} << 32) | 12};
}

inline UnitStatusMsg sampleUnitStatus() {
  UnitStatusMsg s;
  s.unitCode = kUnit;
  s.operational = OperationalState::RELOCATED;
  s.reason = "Vattenläcka i matsalen";
  s.expectedReopen = kSentAt + 86400000;
  s.pupilsEnrolled = 412;
  s.pupilsPresent = 398;
  s.staffTotal = 51;
  s.staffAvailable = 47;
  s.criticalCare = Offered::YES;
  s.specialSupport = Offered::NO;
  s.electricity = Electricity::BACKUP;
  s.backupHours = 36;
  s.heating = Supply::OK;
  s.water = Supply::DOWN;
  s.food = Supply::DEGRADED;
  s.it = Supply::OK;
  s.telephony = Supply::DEGRADED;
  s.foodDays = 3;
  s.note = "Undervisningen flyttad till Förskolan Ängen.\nRing rektor vid frågor.";
  s.validUntil = kSentAt + 3600000;
  return s;
}

inline CapacityMsg sampleCapacity() {
  CapacityMsg c;
  c.unitCode = kUnit;
  c.entries.push_back({SchoolForm::FORSKOLA, 0, 60, 4, 10});
  c.entries.push_back({SchoolForm::GRUNDSKOLA, 9, 112, 0, 15});
  c.entries.push_back({SchoolForm::ANPASSAD_GYMNASIESKOLA, 13, 8, 1, 2});
  return c;
}

inline ContinuityMsg sampleContinuity() {
  return {ContinuityState::AT_RISK, kSentAt + 7200000, "Personalbrist från måndag"};
}

inline ReadinessAnswerMsg sampleReadinessAnswer() {
  ReadinessAnswerMsg a;
  a.checkId = "check-2025-11-25-01";
  a.results.push_back({"clock_skew", true, "12 ms"});
  a.results.push_back({"disk_free", false, "only 80 MB left"});
  a.confirmed = true;
  a.receivedAt = kSentAt - 5000;
  return a;
}

inline DirectiveAckMsg sampleDirectiveAck() {
  return {"directive-17", AckKind::ACKNOWLEDGED, bytesOf(8, 0x5a)};
}

inline ReadinessCheckMsg sampleReadinessCheck() {
  return {"check-2025-11-25-01", kSentAt - 60000, kSentAt + 3600000, true, CheckOrigin::SCHEDULED};
}

inline DirectiveMsg sampleDirective() {
  DirectiveMsg d;
  d.directiveId = "directive-17";
  d.number = 17;
  d.text = "Höjd beredskap: rapportera status varje timme.";
  d.level = ReadinessLevel::HIGHEST;
  d.requireAck = true;
  d.expiresAt = kSentAt + 86400000;
  d.recipients = {"556677-8899", "212000-0142"};
  return d;
}

inline KeyRotationMsg sampleKeyRotation() {
  return {bytesOf(8, 0x11), bytesOf(32, 0x22), bytesOf(32, 0x33)};
}

// Field tuples, so tests compare whole structs with EXPECT_EQ and see which field differs.
inline auto fields(const HeartbeatMsg& m) {
  return std::tie(m.headSeq, m.outboxPending, m.level, m.counter);
}
inline auto fields(const UnitStatusMsg& m) {
  return std::tie(m.unitCode, m.operational, m.reason, m.expectedReopen, m.pupilsEnrolled,
                  m.pupilsPresent, m.staffTotal, m.staffAvailable, m.criticalCare, m.specialSupport,
                  m.electricity, m.backupHours, m.heating, m.water, m.food, m.it, m.telephony,
                  m.foodDays, m.note, m.validUntil, m.closedUntil);
}
inline auto fields(const CapacityEntryMsg& m) {
  return std::tie(m.form, m.year, m.enrolled, m.seatsNow, m.seats72h);
}
inline auto fields(const ContinuityMsg& m) { return std::tie(m.state, m.fromDate, m.note); }
inline auto fields(const SelfTestMsg& m) { return std::tie(m.name, m.passed, m.detail); }
inline auto fields(const ReadinessCheckMsg& m) {
  return std::tie(m.checkId, m.issuedAt, m.deadline, m.requireConfirmation, m.origin);
}
inline auto fields(const DirectiveMsg& m) {
  return std::tie(m.directiveId, m.number, m.text, m.level, m.requireAck, m.expiresAt,
                  m.recipients);
}
inline auto fields(const DirectiveAckMsg& m) {
  return std::tie(m.directiveId, m.kind, m.issuerKeyId);
}
inline auto fields(const KeyRotationMsg& m) {
  return std::tie(m.newKeyId, m.newSignPublic, m.newCurvePublic);
}
inline auto headerFields(const Message& m) {
  return std::tie(m.senderId, m.keyId, m.seq, m.prevHash, m.sentAt, m.mode);
}

}  // namespace samband::common::testing
