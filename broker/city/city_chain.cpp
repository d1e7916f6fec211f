// See city_chain.h.
#include "broker/city/city_chain.h"

#include <map>

#include "broker/city/checkpointer.h"
#include "broker/store/archive_store.h"
#include "broker/store/city_store.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/vocabulary.h"

namespace samband::broker {

CityChain::CityChain(Store& store, const common::Identity& city) : store_(store), city_(city) {}

common::Status CityChain::publishKey() {
  for (const auto& [key, value] :
       {std::pair<const char*, std::string>{kMetaCityKeyId, common::toHex(city_.keyId())},
        {kMetaCitySignPublic, common::toHex(city_.signPublic().data(), 32)}}) {
    if (auto s = store_.setMeta(key, value); !s) return s;
  }
  return {};
}

common::Result<IssuedMessage> CityChain::issue(const common::Payload& payload, common::Mode mode,
                                               int64_t nowMs,
                                               const std::vector<std::string>& recipients,
                                               const std::string& kind, const std::string& ref) {
  const std::string keyId = common::toHex(city_.keyId());
  const std::string sender = common::kCitySenderId;
  if (auto s = publishKey(); !s) return common::unavailable(s.error().message);
  ArchiveStore archive(store_);
  auto head = archive.head(sender, keyId);
  if (!head) return head.error();
  common::Message m;
  m.senderId = sender;
  m.keyId = city_.keyId();
  m.mode = mode;
  m.sentAt = nowMs;
  m.payload = payload;
  m.seq = head->seq + 1;
  m.prevHash = head->hash;
  common::SealedFrame sealed = common::seal(city_, m);
  auto frameId = archive.appendFrame(
      NewFrame{sender, keyId, m.seq, common::payloadKindName(m.payload), common::modeName(mode),
               nowMs, nowMs, sealed.bodyHash, sealed.envelope});
  if (!frameId) return frameId.error();
  if (auto s =
          CityStore(store_).queueOutbound(recipients, kind, ref, sealed.envelope, nowMs, keyId);
      !s) {
    return s.error();
  }
  // The city's checkpoint covers its own frames too, so none of them can go missing unnoticed.
  Checkpointer checkpointer(store_, city_);
  if (auto sealedCp = checkpointer.seal(nowMs); !sealedCp) return sealedCp.error();
  return IssuedMessage{*frameId, m.seq, sealed.envelope};
}

common::Result<IssuedMessage> CityChain::record(const common::EnrolmentMsg& record, int64_t nowMs) {
  return issue(record, common::Mode::SYSTEM, nowMs, {}, "enrolment",
               record.provider + "/" + common::toHex(record.keyId));
}

common::Result<IssuedMessage> CityChain::record(const common::RosterInfoMsg& record,
                                                int64_t nowMs) {
  const char* kind = record.kind == common::RosterInfoKind::UNIT_INFO      ? "/units"
                     : record.kind == common::RosterInfoKind::DUTY_CONTACT ? "/contact"
                                                                           : "/name";
  return issue(record, common::Mode::SYSTEM, nowMs, {}, "roster_info", record.provider + kind);
}

common::Result<IssuedMessage> CityChain::record(const common::AccountMsg& record, int64_t nowMs) {
  return issue(record, common::Mode::SYSTEM, nowMs, {}, "account", record.name);
}

std::vector<common::RosterInfoMsg> unitInfoRecords(const std::vector<UnitRosterRow>& rows) {
  // A frame is at most 64 KiB; a record stays well under it.
  constexpr size_t kRecordBudget = 32 * 1024;
  std::map<std::string, std::vector<const UnitRosterRow*>> byProvider;
  for (const auto& row : rows) byProvider[row.providerId].push_back(&row);
  std::vector<common::RosterInfoMsg> out;
  for (const auto& [provider, units] : byProvider) {
    size_t bytes = kRecordBudget;  // start a record at the first unit
    for (const auto* row : units) {
      const size_t size =
          64 + row->code.size() + row->name.size() + row->district.size() + row->schoolForms.size();
      if (bytes + size > kRecordBudget || out.back().units.size() >= common::kMaxRosterInfoUnits) {
        out.push_back(common::RosterInfoMsg{common::RosterInfoKind::UNIT_INFO, provider, {}, {}});
        bytes = 0;
      }
      out.back().units.push_back(common::UnitInfoMsg{row->code, row->name, row->district, row->lat,
                                                     row->lon, row->schoolForms});
      bytes += size;
    }
  }
  return out;
}

common::Result<IssuedMessage> CityChain::recordKey(const common::CityKeyMsg& key, int64_t nowMs) {
  return issue(key, common::Mode::SYSTEM, nowMs, {}, "city_key",
               common::toHex(common::hash256(key.statement)));
}

common::EnrolmentMsg enrolmentRecord(const common::EnrollRequest& request, int64_t effectiveAt) {
  common::EnrolmentMsg e;
  e.action = common::EnrolmentAction::ENROL;
  e.provider = request.provider;
  e.keyId = request.keyId();
  e.signPublic.assign(request.signPublic.begin(), request.signPublic.end());
  e.curvePublic.assign(request.curvePublic.begin(), request.curvePublic.end());
  e.units = request.units;
  e.effectiveAt = effectiveAt;
  return e;
}

common::Result<std::vector<std::string>> enrolledProviders(Store& store) {
  return CityStore(store).enrolledProviders();
}

}  // namespace samband::broker
