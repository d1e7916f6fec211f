// See payload_json.h.
#include "broker/picture/payload_json.h"

#include <type_traits>
#include <variant>

#include "broker/picture/json_or_null.h"
#include "common/bytes.h"
#include "common/clock.h"
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

}  // namespace

json payloadJson(const common::Payload& payload) {
  return std::visit(
      Overloaded{
          [](const common::HeartbeatMsg& m) {
            return json{{"head_seq", m.headSeq}, {"level", common::levelName(m.level)}};
          },
          [](const common::UnitStatusMsg& m) {
            return json{
                {"unit", m.unitCode},
                {"operational", common::operationalName(m.operational)},
                {"reason", m.reason},
                {"expected_reopen", timeOrNull(m.expectedReopen)},
                {"pupils_enrolled", countOrNull(m.pupilsEnrolled)},
                {"pupils_present", countOrNull(m.pupilsPresent)},
                {"staff_total", countOrNull(m.staffTotal)},
                {"staff_available", countOrNull(m.staffAvailable)},
                {"critical_care", common::offeredName(m.criticalCare)},
                {"special_support", common::offeredName(m.specialSupport)},
                {"electricity", common::electricityName(m.electricity)},
                {"backup_hours", countOrNull(m.backupHours)},
                {"resources",
                 {{"heating", common::supplyName(m.heating)},
                  {"water", common::supplyName(m.water)},
                  {"food", common::supplyName(m.food)},
                  {"it", common::supplyName(m.it)},
                  {"telephony", common::supplyName(m.telephony)}}},
                {"food_days", countOrNull(m.foodDays)},
                {"note", m.note},
                {"valid_until", timeOrNull(m.validUntil)},
                {"closed_until", m.closedUntil.empty() ? json(nullptr) : json(m.closedUntil)}};
          },
          [](const common::CapacityMsg& m) {
            json entries = json::array();
            for (const auto& e : m.entries) {
              entries.push_back({{"form", common::schoolFormName(e.form)},
                                 {"year", e.year},
                                 {"enrolled", e.enrolled},
                                 {"seats_now", e.seatsNow},
                                 {"seats_72h", e.seats72h}});
            }
            return json{{"unit", m.unitCode}, {"entries", entries}};
          },
          [](const common::ContinuityMsg& m) {
            return json{{"state", common::continuityName(m.state)},
                        {"from", timeOrNull(m.fromDate)},
                        {"note", m.note}};
          },
          [](const common::ReadinessAnswerMsg& m) {
            json results = json::array();
            for (const auto& r : m.results) {
              results.push_back({{"name", r.name}, {"passed", r.passed}, {"detail", r.detail}});
            }
            return json{{"check_id", m.checkId},
                        {"confirmed", m.confirmed},
                        {"received_at", timeOrNull(m.receivedAt)},
                        {"results", results}};
          },
          [](const common::DirectiveAckMsg& m) {
            json j{
                {"directive_id", m.directiveId},
                {"kind", m.kind == common::AckKind::ACKNOWLEDGED ? "acknowledged" : "delivered"}};
            if (!m.issuerKeyId.empty()) j["issuer_key_id"] = common::toHex(m.issuerKeyId);
            return j;
          },
          [](const common::ReadinessCheckMsg& m) {
            return json{{"check_id", m.checkId}, {"deadline", timeOrNull(m.deadline)}};
          },
          [](const common::DirectiveMsg& m) {
            return json{{"directive_id", m.directiveId}, {"number", m.number}, {"text", m.text}};
          },
          [](const common::KeyRotationMsg& m) {
            return json{{"new_key_id", common::toHex(m.newKeyId)}};
          },
          [](const common::TimeBeaconMsg& m) {
            return json{{"directive_number", m.directiveNumber}, {"check_id", m.checkId}};
          },
          [](const common::EnrolmentMsg& m) {
            const char* action = m.action == common::EnrolmentAction::ENROL    ? "enrol"
                                 : m.action == common::EnrolmentAction::REVOKE ? "revoke"
                                                                               : "units";
            return json{{"action", action},
                        {"provider", m.provider},
                        {"key_id", common::toHex(m.keyId)},
                        {"units", m.units},
                        {"effective_at", timeOrNull(m.effectiveAt)}};
          },
          [](const common::CityKeyMsg& m) {
            return json{{"statement_bytes", m.statement.size()}};
          },
          [](const common::RosterInfoMsg& m) {
            const char* kind = m.kind == common::RosterInfoKind::UNIT_INFO      ? "unit_info"
                               : m.kind == common::RosterInfoKind::DUTY_CONTACT ? "duty_contact"
                                                                                : "provider_name";
            json units = json::array();
            for (const auto& u : m.units) units.push_back(u.code);
            return json{{"kind", kind}, {"provider", m.provider}, {"units", units}};
          },
          [](const common::AccountMsg& m) {
            return json{{"action", m.action == common::AccountAction::SET ? "set" : "remove"},
                        {"name", m.name},
                        {"role", m.role}};
          },
      },
      payload);
}

}  // namespace samband::broker
