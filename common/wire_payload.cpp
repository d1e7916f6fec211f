// See wire_payload.h.
#include "common/wire_payload.h"

#include <string>

#include "common/limits.h"
#include "common/wire_frame.h"

namespace samband::common {

namespace {

UnitStatusMsg readStatus(wire::UnitStatus::Reader r) {
  UnitStatusMsg s;
  s.unitCode = readText(r.getUnitCode());
  s.operational = r.getOperational();
  s.reason = readText(r.getReason());
  s.expectedReopen = r.getExpectedReopen();
  s.pupilsEnrolled = r.getPupilsEnrolled();
  s.pupilsPresent = r.getPupilsPresent();
  s.staffTotal = r.getStaffTotal();
  s.staffAvailable = r.getStaffAvailable();
  s.criticalCare = r.getCriticalCare();
  s.specialSupport = r.getSpecialSupport();
  s.electricity = r.getElectricity();
  s.backupHours = r.getBackupHours();
  s.heating = r.getHeating();
  s.water = r.getWater();
  s.food = r.getFood();
  s.it = r.getIt();
  s.telephony = r.getTelephony();
  s.foodDays = r.getFoodDays();
  s.note = readText(r.getNote());
  s.validUntil = r.getValidUntil();
  s.closedUntil = readText(r.getClosedUntil());
  return s;
}

void writeStatus(wire::UnitStatus::Builder b, const UnitStatusMsg& s) {
  b.setUnitCode(s.unitCode);
  b.setOperational(s.operational);
  b.setReason(s.reason);
  b.setExpectedReopen(s.expectedReopen);
  b.setPupilsEnrolled(s.pupilsEnrolled);
  b.setPupilsPresent(s.pupilsPresent);
  b.setStaffTotal(s.staffTotal);
  b.setStaffAvailable(s.staffAvailable);
  b.setCriticalCare(s.criticalCare);
  b.setSpecialSupport(s.specialSupport);
  b.setElectricity(s.electricity);
  b.setBackupHours(s.backupHours);
  b.setHeating(s.heating);
  b.setWater(s.water);
  b.setFood(s.food);
  b.setIt(s.it);
  b.setTelephony(s.telephony);
  b.setFoodDays(s.foodDays);
  b.setNote(s.note);
  b.setValidUntil(s.validUntil);
  // Left unset when empty, so a report without it is byte-identical to one from before the field.
  if (!s.closedUntil.empty()) b.setClosedUntil(s.closedUntil);
}

}  // namespace

Result<Payload> readPayload(wire::Body::Reader r) {
  switch (r.which()) {
    case wire::Body::HEARTBEAT: {
      auto h = r.getHeartbeat();
      return Payload(
          HeartbeatMsg{h.getHeadSeq(), h.getOutboxPending(), h.getLevel(), h.getCounter()});
    }
    case wire::Body::UNIT_STATUS:
      return Payload(readStatus(r.getUnitStatus()));
    case wire::Body::CAPACITY: {
      auto c = r.getCapacity();
      CapacityMsg m;
      m.unitCode = readText(c.getUnitCode());
      auto entries = c.getEntries();
      if (entries.size() > kMaxCapacityEntries) return invalidInput("too many capacity entries");
      for (auto e : entries) {
        m.entries.push_back(
            {e.getForm(), e.getYear(), e.getEnrolled(), e.getSeatsNow(), e.getSeats72h()});
      }
      return Payload(std::move(m));
    }
    case wire::Body::CONTINUITY: {
      auto c = r.getContinuity();
      return Payload(ContinuityMsg{c.getState(), c.getFromDate(), readText(c.getNote())});
    }
    case wire::Body::READINESS_ANSWER: {
      auto a = r.getReadinessAnswer();
      ReadinessAnswerMsg m;
      m.checkId = readText(a.getCheckId());
      auto results = a.getResults();
      if (results.size() > kMaxSelfTests) return invalidInput("too many self-test results");
      for (auto t : results) {
        m.results.push_back({readText(t.getName()), t.getPassed(), readText(t.getDetail())});
      }
      m.confirmed = a.getConfirmed();
      m.receivedAt = a.getReceivedAt();
      return Payload(std::move(m));
    }
    case wire::Body::DIRECTIVE_ACK: {
      auto a = r.getDirectiveAck();
      return Payload(
          DirectiveAckMsg{readText(a.getDirectiveId()), a.getKind(), toBytes(a.getIssuerKeyId())});
    }
    case wire::Body::READINESS_CHECK: {
      auto c = r.getReadinessCheck();
      return Payload(ReadinessCheckMsg{readText(c.getCheckId()), c.getIssuedAt(), c.getDeadline(),
                                       c.getRequireConfirmation(), c.getOrigin()});
    }
    case wire::Body::DIRECTIVE: {
      auto d = r.getDirective();
      DirectiveMsg m;
      m.directiveId = readText(d.getDirectiveId());
      m.number = d.getNumber();
      m.text = readText(d.getText());
      m.level = d.getLevel();
      m.requireAck = d.getRequireAck();
      m.expiresAt = d.getExpiresAt();
      auto rec = d.getRecipients();
      if (rec.size() > kMaxRecipients) return invalidInput("too many directive recipients");
      for (auto t : rec) m.recipients.push_back(readText(t));
      return Payload(std::move(m));
    }
    case wire::Body::KEY_ROTATION: {
      auto k = r.getKeyRotation();
      return Payload(KeyRotationMsg{toBytes(k.getNewKeyId()), toBytes(k.getNewSignPublic()),
                                    toBytes(k.getNewCurvePublic())});
    }
    case wire::Body::TIME_BEACON: {
      auto t = r.getTimeBeacon();
      TimeBeaconMsg m{
          t.getLevel(), t.getDirectiveNumber(), readText(t.getCheckId()), t.getCheckIssuedAt(), {}};
      auto marks = t.getDirectiveMarks();
      if (marks.size() > kMaxDirectiveMarks) return invalidInput("too many directive marks");
      for (auto mark : marks)
        m.directiveMarks.emplace_back(toBytes(mark.getKeyId()), mark.getNumber());
      return Payload(std::move(m));
    }
    case wire::Body::ENROLMENT: {
      auto e = r.getEnrolment();
      EnrolmentMsg m;
      m.action = e.getAction();
      m.provider = readText(e.getProvider());
      m.keyId = toBytes(e.getKeyId());
      m.signPublic = toBytes(e.getSignPublic());
      m.curvePublic = toBytes(e.getCurvePublic());
      auto units = e.getUnits();
      if (units.size() > kMaxEnrolmentUnits) return invalidInput("too many enrolment units");
      for (auto u : units) m.units.push_back(readText(u));
      m.effectiveAt = e.getEffectiveAt();
      if (e.getHasRevokedAfterSeq()) m.revokedAfterSeq = e.getRevokedAfterSeq();
      return Payload(std::move(m));
    }
    case wire::Body::ROSTER_INFO: {
      auto ri = r.getRosterInfo();
      RosterInfoMsg m;
      m.kind = ri.getKind();
      m.provider = readText(ri.getProvider());
      m.text = readText(ri.getText());
      auto units = ri.getUnits();
      if (units.size() > kMaxRosterInfoUnits) return invalidInput("too many roster info units");
      for (auto u : units) {
        UnitInfoMsg info;
        info.code = readText(u.getCode());
        info.name = readText(u.getName());
        info.district = readText(u.getDistrict());
        if (u.getHasPosition()) {
          info.lat = u.getLatitude();
          info.lon = u.getLongitude();
        }
        info.schoolForms = readText(u.getSchoolForms());
        m.units.push_back(std::move(info));
      }
      return Payload(std::move(m));
    }
    case wire::Body::ACCOUNT: {
      auto a = r.getAccount();
      AccountMsg m;
      m.action = a.getAction();
      m.name = readText(a.getName());
      m.role = readText(a.getRole());
      auto districts = a.getDistricts();
      if (districts.size() > kMaxAccountDistricts) return invalidInput("too many districts");
      for (auto d : districts) m.districts.push_back(readText(d));
      m.passwordDigest = toBytes(a.getPasswordDigest());
      return Payload(std::move(m));
    }
    case wire::Body::CITY_KEY: {
      auto k = r.getCityKey();
      return Payload(CityKeyMsg{toBytes(k.getStatement()), toBytes(k.getSignature())});
    }
  }
  return invalidInput("unknown body kind (union tag " +
                      std::to_string(static_cast<unsigned>(r.which())) + ")");
}

void writePayload(wire::Body::Builder b, const Payload& p) {
  if (auto* hb = std::get_if<HeartbeatMsg>(&p)) {
    auto h = b.initHeartbeat();
    h.setHeadSeq(hb->headSeq);
    h.setOutboxPending(hb->outboxPending);
    h.setLevel(hb->level);
    h.setCounter(hb->counter);
  } else if (auto* s = std::get_if<UnitStatusMsg>(&p)) {
    writeStatus(b.initUnitStatus(), *s);
  } else if (auto* cap = std::get_if<CapacityMsg>(&p)) {
    auto c = b.initCapacity();
    c.setUnitCode(cap->unitCode);
    auto entries = c.initEntries(static_cast<unsigned>(cap->entries.size()));
    for (unsigned i = 0; i < entries.size(); ++i) {
      const auto& e = cap->entries[i];
      entries[i].setForm(e.form);
      entries[i].setYear(e.year);
      entries[i].setEnrolled(e.enrolled);
      entries[i].setSeatsNow(e.seatsNow);
      entries[i].setSeats72h(e.seats72h);
    }
  } else if (auto* co = std::get_if<ContinuityMsg>(&p)) {
    auto c = b.initContinuity();
    c.setState(co->state);
    c.setFromDate(co->fromDate);
    c.setNote(co->note);
  } else if (auto* ra = std::get_if<ReadinessAnswerMsg>(&p)) {
    auto a = b.initReadinessAnswer();
    a.setCheckId(ra->checkId);
    auto results = a.initResults(static_cast<unsigned>(ra->results.size()));
    for (unsigned i = 0; i < results.size(); ++i) {
      results[i].setName(ra->results[i].name);
      results[i].setPassed(ra->results[i].passed);
      results[i].setDetail(ra->results[i].detail);
    }
    a.setConfirmed(ra->confirmed);
    a.setReceivedAt(ra->receivedAt);
  } else if (auto* da = std::get_if<DirectiveAckMsg>(&p)) {
    auto a = b.initDirectiveAck();
    a.setDirectiveId(da->directiveId);
    a.setKind(da->kind);
    if (!da->issuerKeyId.empty()) {
      a.setIssuerKeyId(kj::arrayPtr(da->issuerKeyId.data(), da->issuerKeyId.size()));
    }
  } else if (auto* rc = std::get_if<ReadinessCheckMsg>(&p)) {
    auto c = b.initReadinessCheck();
    c.setCheckId(rc->checkId);
    c.setIssuedAt(rc->issuedAt);
    c.setDeadline(rc->deadline);
    c.setRequireConfirmation(rc->requireConfirmation);
    c.setOrigin(rc->origin);
  } else if (auto* d = std::get_if<DirectiveMsg>(&p)) {
    auto m = b.initDirective();
    m.setDirectiveId(d->directiveId);
    m.setNumber(d->number);
    m.setText(d->text);
    m.setLevel(d->level);
    m.setRequireAck(d->requireAck);
    m.setExpiresAt(d->expiresAt);
    auto rec = m.initRecipients(static_cast<unsigned>(d->recipients.size()));
    for (unsigned i = 0; i < rec.size(); ++i) rec.set(i, d->recipients[i]);
  } else if (auto* kr = std::get_if<KeyRotationMsg>(&p)) {
    auto k = b.initKeyRotation();
    k.setNewKeyId(kj::arrayPtr(kr->newKeyId.data(), kr->newKeyId.size()));
    k.setNewSignPublic(kj::arrayPtr(kr->newSignPublic.data(), kr->newSignPublic.size()));
    k.setNewCurvePublic(kj::arrayPtr(kr->newCurvePublic.data(), kr->newCurvePublic.size()));
  } else if (auto* tb = std::get_if<TimeBeaconMsg>(&p)) {
    auto t = b.initTimeBeacon();
    t.setLevel(tb->level);
    t.setDirectiveNumber(tb->directiveNumber);
    t.setCheckId(tb->checkId);
    t.setCheckIssuedAt(tb->checkIssuedAt);
    if (!tb->directiveMarks.empty()) {
      auto marks = t.initDirectiveMarks(static_cast<unsigned>(tb->directiveMarks.size()));
      for (unsigned i = 0; i < marks.size(); ++i) {
        const auto& [keyId, number] = tb->directiveMarks[i];
        marks[i].setKeyId(kj::arrayPtr(keyId.data(), keyId.size()));
        marks[i].setNumber(number);
      }
    }
  } else if (auto* en = std::get_if<EnrolmentMsg>(&p)) {
    auto e = b.initEnrolment();
    e.setAction(en->action);
    e.setProvider(en->provider);
    e.setKeyId(kj::arrayPtr(en->keyId.data(), en->keyId.size()));
    e.setSignPublic(kj::arrayPtr(en->signPublic.data(), en->signPublic.size()));
    e.setCurvePublic(kj::arrayPtr(en->curvePublic.data(), en->curvePublic.size()));
    auto units = e.initUnits(static_cast<unsigned>(en->units.size()));
    for (unsigned i = 0; i < units.size(); ++i) units.set(i, en->units[i]);
    e.setEffectiveAt(en->effectiveAt);
    if (en->revokedAfterSeq) {
      e.setHasRevokedAfterSeq(true);
      e.setRevokedAfterSeq(*en->revokedAfterSeq);
    }
  } else if (auto* ri = std::get_if<RosterInfoMsg>(&p)) {
    auto r = b.initRosterInfo();
    r.setKind(ri->kind);
    r.setProvider(ri->provider);
    r.setText(ri->text);
    auto units = r.initUnits(static_cast<unsigned>(ri->units.size()));
    for (unsigned i = 0; i < units.size(); ++i) {
      const auto& u = ri->units[i];
      units[i].setCode(u.code);
      units[i].setName(u.name);
      units[i].setDistrict(u.district);
      if (u.lat && u.lon) {
        units[i].setHasPosition(true);
        units[i].setLatitude(*u.lat);
        units[i].setLongitude(*u.lon);
      }
      units[i].setSchoolForms(u.schoolForms);
    }
  } else if (auto* am = std::get_if<AccountMsg>(&p)) {
    auto a = b.initAccount();
    a.setAction(am->action);
    a.setName(am->name);
    a.setRole(am->role);
    auto districts = a.initDistricts(static_cast<unsigned>(am->districts.size()));
    for (unsigned i = 0; i < districts.size(); ++i) districts.set(i, am->districts[i]);
    a.setPasswordDigest(kj::arrayPtr(am->passwordDigest.data(), am->passwordDigest.size()));
  } else if (auto* ck = std::get_if<CityKeyMsg>(&p)) {
    auto k = b.initCityKey();
    k.setStatement(kj::arrayPtr(ck->statement.data(), ck->statement.size()));
    k.setSignature(kj::arrayPtr(ck->signature.data(), ck->signature.size()));
  }
}

}  // namespace samband::common
