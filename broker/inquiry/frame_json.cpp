// See frame_json.h. Keys are the schema's field names; nlohmann's objects keep them sorted, so
// the text is the same for the same body.
#include "broker/inquiry/frame_json.h"

#include <variant>

#include "common/bytes.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

const char* ackKindName(common::AckKind k) {
  return k == common::AckKind::ACKNOWLEDGED ? "acknowledged" : "delivered";
}

const char* enrolmentActionName(common::EnrolmentAction a) {
  switch (a) {
    case common::EnrolmentAction::ENROL:
      return "enrol";
    case common::EnrolmentAction::REVOKE:
      return "revoke";
    case common::EnrolmentAction::UNITS:
      return "units";
  }
  return "unknown";
}

const char* rosterInfoKindName(common::RosterInfoKind kind) {
  switch (kind) {
    case common::RosterInfoKind::UNIT_INFO:
      return "unitInfo";
    case common::RosterInfoKind::DUTY_CONTACT:
      return "dutyContact";
    case common::RosterInfoKind::PROVIDER_NAME:
      return "providerName";
  }
  return "unknown";
}

}  // namespace

json bodyJson(const common::Message& m) {
  json payload = std::visit(
      Overloaded{
          [](const common::HeartbeatMsg& h) {
            return json{{"headSeq", h.headSeq},
                        {"outboxPending", h.outboxPending},
                        {"level", common::levelName(h.level)},
                        {"counter", h.counter}};
          },
          [](const common::UnitStatusMsg& s) {
            return json{{"unitCode", s.unitCode},
                        {"operational", common::operationalName(s.operational)},
                        {"reason", s.reason},
                        {"expectedReopen", s.expectedReopen},
                        {"pupilsEnrolled", s.pupilsEnrolled},
                        {"pupilsPresent", s.pupilsPresent},
                        {"staffTotal", s.staffTotal},
                        {"staffAvailable", s.staffAvailable},
                        {"criticalCare", common::offeredName(s.criticalCare)},
                        {"specialSupport", common::offeredName(s.specialSupport)},
                        {"electricity", common::electricityName(s.electricity)},
                        {"backupHours", s.backupHours},
                        {"heating", common::supplyName(s.heating)},
                        {"water", common::supplyName(s.water)},
                        {"food", common::supplyName(s.food)},
                        {"it", common::supplyName(s.it)},
                        {"telephony", common::supplyName(s.telephony)},
                        {"foodDays", s.foodDays},
                        {"note", s.note},
                        {"validUntil", s.validUntil}};
          },
          [](const common::CapacityMsg& c) {
            json entries = json::array();
            for (const auto& e : c.entries) {
              entries.push_back({{"form", common::schoolFormName(e.form)},
                                 {"year", e.year},
                                 {"enrolled", e.enrolled},
                                 {"seatsNow", e.seatsNow},
                                 {"seats72h", e.seats72h}});
            }
            return json{{"unitCode", c.unitCode}, {"entries", entries}};
          },
          [](const common::ContinuityMsg& c) {
            return json{{"state", common::continuityName(c.state)},
                        {"fromDate", c.fromDate},
                        {"note", c.note}};
          },
          [](const common::ReadinessAnswerMsg& a) {
            json results = json::array();
            for (const auto& r : a.results) {
              results.push_back({{"name", r.name}, {"passed", r.passed}, {"detail", r.detail}});
            }
            return json{{"checkId", a.checkId},
                        {"results", results},
                        {"confirmed", a.confirmed},
                        {"receivedAt", a.receivedAt}};
          },
          [](const common::DirectiveAckMsg& a) {
            json j{{"directiveId", a.directiveId}, {"kind", ackKindName(a.kind)}};
            if (!a.issuerKeyId.empty()) j["issuerKeyId"] = common::toHex(a.issuerKeyId);
            return j;
          },
          [](const common::ReadinessCheckMsg& c) {
            return json{{"checkId", c.checkId},
                        {"issuedAt", c.issuedAt},
                        {"deadline", c.deadline},
                        {"requireConfirmation", c.requireConfirmation},
                        {"origin", c.origin == common::CheckOrigin::SCHEDULED ? "scheduled"
                                   : c.origin == common::CheckOrigin::MANUAL  ? "manual"
                                                                              : "unstated"}};
          },
          [](const common::DirectiveMsg& d) {
            return json{{"directiveId", d.directiveId},
                        {"number", d.number},
                        {"text", d.text},
                        {"level", common::levelName(d.level)},
                        {"requireAck", d.requireAck},
                        {"expiresAt", d.expiresAt},
                        {"recipients", d.recipients}};
          },
          [](const common::KeyRotationMsg& k) {
            return json{{"newKeyId", common::toHex(k.newKeyId)},
                        {"newSignPublic", common::toHex(k.newSignPublic)},
                        {"newCurvePublic", common::toHex(k.newCurvePublic)}};
          },
          [](const common::TimeBeaconMsg& t) {
            return json{{"level", common::levelName(t.level)},
                        {"directiveNumber", t.directiveNumber},
                        {"checkId", t.checkId},
                        {"checkIssuedAt", t.checkIssuedAt}};
          },
          [](const common::EnrolmentMsg& e) {
            return json{{"action", enrolmentActionName(e.action)},
                        {"provider", e.provider},
                        {"keyId", common::toHex(e.keyId)},
                        {"signPublic", common::toHex(e.signPublic)},
                        {"curvePublic", common::toHex(e.curvePublic)},
                        {"units", e.units},
                        {"effectiveAt", e.effectiveAt}};
          },
          [](const common::CityKeyMsg& k) {
            return json{{"statement", common::toHex(k.statement)},
                        {"signature", common::toHex(k.signature)}};
          },
          [](const common::RosterInfoMsg& r) {
            json units = json::array();
            for (const auto& u : r.units) {
              units.push_back({{"code", u.code},
                               {"name", u.name},
                               {"district", u.district},
                               {"hasPosition", u.lat.has_value()},
                               {"latitude", u.lat.value_or(0.0)},
                               {"longitude", u.lon.value_or(0.0)},
                               {"schoolForms", u.schoolForms}});
            }
            return json{{"kind", rosterInfoKindName(r.kind)},
                        {"provider", r.provider},
                        {"text", r.text},
                        {"units", units}};
          },
          [](const common::AccountMsg& a) {
            return json{{"action", a.action == common::AccountAction::SET ? "set" : "remove"},
                        {"name", a.name},
                        {"role", a.role},
                        {"districts", a.districts},
                        {"passwordDigest", common::toHex(a.passwordDigest)}};
          },
      },
      m.payload);
  return json{{"senderId", m.senderId},
              {"keyId", common::toHex(m.keyId)},
              {"seq", m.seq},
              {"prevHash", common::toHex(m.prevHash)},
              {"sentAt", m.sentAt},
              {"mode", common::modeName(m.mode)},
              {"payload", {{"kind", common::payloadKindName(m.payload)}, {"value", payload}}}};
}

}  // namespace samband::broker
