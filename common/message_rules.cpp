// See message_rules.h.
#include "common/message_rules.h"

#include <cstdint>
#include <string>

#include "common/identity.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/personal_number.h"
#include "common/school_calendar.h"
#include "common/text_rules.h"

namespace samband::common {

namespace {

template <typename E>
bool enumInRange(E value, E max) {
  return static_cast<uint16_t>(value) <= static_cast<uint16_t>(max);
}

// "YYYY-MM-DD", a real date in a range a school closure can name.
bool isPlausibleDate(const std::string& text) {
  if (text.size() != 10) return false;
  auto d = parseCivilDate(text, "date");
  return d.ok() && d->year >= 2000 && d->year <= 2199;
}

// Collects the first validation problem; later checks are skipped once one is found.
class Checker {
 public:
  void require(bool ok, const char* what) {
    if (!ok && problem_.empty()) problem_ = what;
  }
  void text(const std::string& s, size_t max, const char* what) {
    require(s.size() <= max && isCleanText(s), what);
  }
  void range(int64_t v, int64_t lo, int64_t hi, const char* what) {
    require(v >= lo && v <= hi, what);
  }
  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }

 private:
  std::string problem_;
};

void checkStatus(Checker& c, const UnitStatusMsg& s) {
  c.require(isUnitCode(s.unitCode), "unit_status.unitCode must be 8 digits");
  c.require(enumInRange(s.operational, OperationalState::RELOCATED), "unit_status.operational");
  c.text(s.reason, kMaxShortText, "unit_status.reason too long or not clean UTF-8");
  c.range(s.expectedReopen, 0, INT64_MAX, "unit_status.expectedReopen");
  c.range(s.pupilsEnrolled, -1, 100000, "unit_status.pupilsEnrolled out of range");
  c.range(s.pupilsPresent, -1, 100000, "unit_status.pupilsPresent out of range");
  c.range(s.staffTotal, -1, 10000, "unit_status.staffTotal out of range");
  c.range(s.staffAvailable, -1, 10000, "unit_status.staffAvailable out of range");
  c.require(enumInRange(s.criticalCare, Offered::YES), "unit_status.criticalCare");
  c.require(enumInRange(s.specialSupport, Offered::YES), "unit_status.specialSupport");
  c.require(enumInRange(s.electricity, Electricity::NONE), "unit_status.electricity");
  c.range(s.backupHours, -1, 100000, "unit_status.backupHours out of range");
  for (Supply x : {s.heating, s.water, s.food, s.it, s.telephony}) {
    c.require(enumInRange(x, Supply::DOWN), "unit_status supply state out of range");
  }
  c.range(s.foodDays, -1, 3650, "unit_status.foodDays out of range");
  c.text(s.note, kMaxNoteText, "unit_status.note too long or not clean UTF-8");
  c.range(s.validUntil, 0, INT64_MAX, "unit_status.validUntil");
  c.require(s.closedUntil.empty() || isPlausibleDate(s.closedUntil),
            "unit_status.closedUntil must be empty or a date YYYY-MM-DD");
}

void checkPayload(Checker& c, const Payload& p) {
  if (auto* hb = std::get_if<HeartbeatMsg>(&p)) {
    c.require(enumInRange(hb->level, ReadinessLevel::HIGHEST), "heartbeat.level");
  } else if (auto* s = std::get_if<UnitStatusMsg>(&p)) {
    checkStatus(c, *s);
  } else if (auto* cap = std::get_if<CapacityMsg>(&p)) {
    c.require(isUnitCode(cap->unitCode), "capacity.unitCode must be 8 digits");
    c.require(cap->entries.size() <= kMaxCapacityEntries, "capacity has too many entries");
    for (const auto& e : cap->entries) {
      c.require(enumInRange(e.form, SchoolForm::ANPASSAD_GYMNASIESKOLA), "capacity.form");
      c.range(e.year, 0, 13, "capacity.year out of range");
      c.range(e.enrolled, 0, 100000, "capacity.enrolled out of range");
      c.range(e.seatsNow, 0, 100000, "capacity.seatsNow out of range");
      c.range(e.seats72h, 0, 100000, "capacity.seats72h out of range");
    }
  } else if (auto* co = std::get_if<ContinuityMsg>(&p)) {
    c.require(enumInRange(co->state, ContinuityState::CANNOT_CONTINUE), "continuity.state");
    c.range(co->fromDate, 0, INT64_MAX, "continuity.fromDate");
    c.text(co->note, kMaxNoteText, "continuity.note too long or not clean UTF-8");
  } else if (auto* ra = std::get_if<ReadinessAnswerMsg>(&p)) {
    c.text(ra->checkId, kMaxIdText, "readiness_answer.checkId");
    c.require(!ra->checkId.empty(), "readiness_answer.checkId empty");
    c.require(ra->results.size() <= kMaxSelfTests, "readiness_answer has too many results");
    for (const auto& t : ra->results) {
      c.text(t.name, kMaxIdText, "self-test name");
      c.text(t.detail, kMaxShortText, "self-test detail");
    }
  } else if (auto* da = std::get_if<DirectiveAckMsg>(&p)) {
    c.text(da->directiveId, kMaxIdText, "directive_ack.directiveId");
    c.require(!da->directiveId.empty(), "directive_ack.directiveId empty");
    c.require(enumInRange(da->kind, AckKind::ACKNOWLEDGED), "directive_ack.kind");
    c.require(da->issuerKeyId.empty() || da->issuerKeyId.size() == kKeyIdBytes,
              "directive_ack.issuerKeyId is neither empty nor 8 bytes");
  } else if (auto* rc = std::get_if<ReadinessCheckMsg>(&p)) {
    c.text(rc->checkId, kMaxIdText, "readiness_check.checkId");
    c.require(!rc->checkId.empty(), "readiness_check.checkId empty");
    c.require(enumInRange(rc->origin, CheckOrigin::MANUAL), "readiness_check.origin");
  } else if (auto* d = std::get_if<DirectiveMsg>(&p)) {
    c.text(d->directiveId, kMaxIdText, "directive.directiveId");
    c.require(!d->directiveId.empty(), "directive.directiveId empty");
    c.text(d->text, kMaxDirectiveText, "directive.text too long or not clean UTF-8");
    c.require(enumInRange(d->level, ReadinessLevel::HIGHEST), "directive.level");
    c.require(d->recipients.size() <= kMaxRecipients, "directive has too many recipients");
    for (const auto& r : d->recipients) c.require(isProviderId(r), "directive.recipients");
  } else if (auto* tb = std::get_if<TimeBeaconMsg>(&p)) {
    c.require(enumInRange(tb->level, ReadinessLevel::HIGHEST), "time_beacon.level");
    c.text(tb->checkId, kMaxIdText, "time_beacon.checkId");
    c.range(tb->checkIssuedAt, 0, INT64_MAX, "time_beacon.checkIssuedAt");
    c.require(tb->directiveMarks.size() <= kMaxDirectiveMarks, "time_beacon has too many marks");
    for (const auto& [keyId, number] : tb->directiveMarks) {
      c.require(keyId.size() == kKeyIdBytes, "time_beacon.directiveMarks.keyId");
    }
  } else if (auto* kr = std::get_if<KeyRotationMsg>(&p)) {
    c.require(kr->newKeyId.size() == kKeyIdBytes, "key_rotation.newKeyId");
    c.require(kr->newSignPublic.size() == 32, "key_rotation.newSignPublic");
    c.require(kr->newCurvePublic.size() == 32, "key_rotation.newCurvePublic");
  } else if (auto* en = std::get_if<EnrolmentMsg>(&p)) {
    c.require(enumInRange(en->action, EnrolmentAction::UNITS), "enrolment.action");
    c.require(isProviderId(en->provider), "enrolment.provider");
    const bool enrol = en->action == EnrolmentAction::ENROL;
    const bool units = en->action == EnrolmentAction::UNITS;
    c.require(units ? en->keyId.empty() : en->keyId.size() == kKeyIdBytes, "enrolment.keyId");
    c.require(en->signPublic.size() == (enrol ? 32u : 0u), "enrolment.signPublic");
    c.require(en->curvePublic.size() == (enrol ? 32u : 0u), "enrolment.curvePublic");
    c.require(en->units.size() <= kMaxEnrolmentUnits, "enrolment has too many units");
    for (const auto& u : en->units) c.require(isUnitCode(u), "enrolment.units");
    c.require(!en->revokedAfterSeq || en->action == EnrolmentAction::REVOKE,
              "enrolment.revokedAfterSeq outside a revocation");
  } else if (auto* ri = std::get_if<RosterInfoMsg>(&p)) {
    // The same rules as the CLI that writes them (`contact set`, `enroll`, `roster import`): a
    // duty contact is a role and a phone number by design, one line of plain text.
    c.require(enumInRange(ri->kind, RosterInfoKind::PROVIDER_NAME), "roster_info.kind");
    c.require(isProviderId(ri->provider), "roster_info.provider");
    const bool units = ri->kind == RosterInfoKind::UNIT_INFO;
    c.text(ri->text, kMaxShortText, "roster_info.text too long or not clean UTF-8");
    c.require(ri->text.find('\n') == std::string::npos, "roster_info.text must be one line");
    c.require(!units || ri->text.empty(), "roster_info.text outside a contact or name");
    c.require(ri->kind != RosterInfoKind::PROVIDER_NAME || !ri->text.empty(),
              "roster_info.text: a provider name is not empty");
    c.require(
        units ? !ri->units.empty() && ri->units.size() <= kMaxRosterInfoUnits : ri->units.empty(),
        "roster_info.units: 1..200 units in a unit record, none otherwise");
    for (const auto& u : ri->units) {
      c.require(isUnitCode(u.code), "roster_info.units.code must be 8 digits");
      c.text(u.name, kMaxShortText, "roster_info.units.name too long or not clean UTF-8");
      c.text(u.district, kMaxShortText, "roster_info.units.district too long or not clean UTF-8");
      c.text(u.schoolForms, kMaxSchoolFormsText, "roster_info.units.schoolForms too long");
      c.require(u.lat.has_value() == u.lon.has_value(), "roster_info.units position");
      if (u.lat && u.lon) {
        c.require(*u.lat >= -90 && *u.lat <= 90 && *u.lon >= -180 && *u.lon <= 180,
                  "roster_info.units position out of range");
      }
    }
  } else if (auto* am = std::get_if<AccountMsg>(&p)) {
    // The board's own rules (web/passwords.h, broker/accounts/users.h) in their outline: the
    // broker that applies the record holds it to them again.
    c.require(enumInRange(am->action, AccountAction::REMOVE), "account.action");
    c.text(am->name, kMaxIdText, "account.name too long or not clean UTF-8");
    c.require(!am->name.empty(), "account.name empty");
    const bool set = am->action == AccountAction::SET;
    c.require(set ? am->role == "viewer" || am->role == "operator" : am->role.empty(),
              "account.role must be viewer or operator (empty for remove)");
    c.require(set || am->districts.empty(), "account.districts outside set");
    c.require(am->districts.size() <= kMaxAccountDistricts, "account has too many districts");
    for (const auto& d : am->districts) {
      c.text(d, kMaxShortText, "account.districts too long or not clean UTF-8");
      c.require(!d.empty(), "account.districts empty");
    }
    c.require(am->passwordDigest.size() == (set ? 32u : 0u), "account.passwordDigest");
  } else if (auto* ck = std::get_if<CityKeyMsg>(&p)) {
    // The statement's own layout is checked where it is believed (common/city_keyring.h).
    c.require(!ck->statement.empty() && ck->statement.size() <= 512, "city_key.statement");
    c.require(ck->signature.size() == 64, "city_key.signature");
  }
}

}  // namespace

Status validate(const Message& m) {
  Checker c;
  c.require(m.senderId == kCitySenderId || isProviderId(m.senderId),
            "senderId must be an organisation number NNNNNN-NNNN or 'city'");
  c.require(m.keyId.size() == kKeyIdBytes, "keyId must be 8 bytes");
  c.require(static_cast<uint16_t>(m.mode) <= static_cast<uint16_t>(Mode::TEST), "mode");
  c.require(m.sentAt > 0, "sentAt must be set");
  if (m.isOutsideChain()) {
    c.require(m.seq == 0 && m.prevHash.empty(),
              "heartbeats carry seq 0 and no prevHash (time beacons too)");
  } else {
    c.require(m.seq >= 1, "seq must be at least 1");
    c.require(m.seq > INT64_MAX / 2 ? false : true, "seq out of range");
    c.require(m.seq == 1 ? m.prevHash.empty() : m.prevHash.size() == 32,
              "prevHash must be empty for seq 1 and 32 bytes after");
  }
  checkPayload(c, m.payload);
  if (!c.ok()) return invalidInput(c.problem());
  return {};
}

std::optional<PersonalDataFinding> findPersonalData(const Payload& p) {
  std::optional<PersonalDataFinding> found;
  auto check = [&](const std::string& text, const char* field) {
    if (found) return;
    if (auto number = findPersonalNumber(text)) found = PersonalDataFinding{field, *number};
  };
  if (auto* s = std::get_if<UnitStatusMsg>(&p)) {
    check(s->reason, "unit_status.reason");
    check(s->note, "unit_status.note");
  } else if (auto* co = std::get_if<ContinuityMsg>(&p)) {
    check(co->note, "continuity.note");
  } else if (auto* ra = std::get_if<ReadinessAnswerMsg>(&p)) {
    check(ra->checkId, "readiness_answer.checkId");
    for (const auto& t : ra->results) {
      check(t.name, "readiness_answer self-test name");
      check(t.detail, "readiness_answer self-test detail");
    }
  } else if (auto* da = std::get_if<DirectiveAckMsg>(&p)) {
    check(da->directiveId, "directive_ack.directiveId");
  }
  return found;
}

}  // namespace samband::common
