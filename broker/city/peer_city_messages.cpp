// See peer_city_messages.h.
#include "broker/city/peer_city_messages.h"

#include "broker/city/directives.h"
#include "broker/city/readiness_schedule.h"
#include "broker/city/time_beacon.h"
#include "broker/store/city_store.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

// An agent's acknowledgement reaches one broker and is pulled by the other, possibly before the
// directive (the two are different chains). Acks received this long before the directive's
// issue time (the two brokers' clocks differ a little) are looked for when it arrives.
constexpr int64_t kEarlyAckMarginMs = 10 * 60 * 1000;

common::Result<int64_t> metaInt(Store& store, const std::string& key) {
  auto v = store.meta(key);
  if (!v) return v.error();
  if (!*v) return int64_t{0};
  try {
    return static_cast<int64_t>(std::stoll(**v));
  } catch (const std::exception&) {
    return int64_t{0};
  }
}

common::Status raiseMeta(Store& store, const std::string& key, int64_t value) {
  auto current = metaInt(store, key);
  if (!current) return current.error();
  if (value <= *current) return {};
  return store.setMeta(key, std::to_string(value));
}

common::Result<PeerCityOutcome> applyCheck(Store& store, const common::ReadinessCheckMsg& c,
                                           common::Mode mode, const common::Bytes& envelope,
                                           int64_t frameId) {
  PeerCityOutcome out;
  CityStore city(store);
  auto existing = city.checksNewestFirst(c.checkId);
  if (!existing) return existing.error();
  if (!existing->empty()) return out;  // recorded already (or this broker's own)
  auto recipients = city.enrolledProviders();
  if (!recipients) return recipients.error();
  ReadinessCheckRow row;
  row.id = c.checkId;
  row.issuedAt = c.issuedAt;
  row.deadline = c.deadline;
  row.mode = common::modeName(mode);
  row.requireConfirmation = c.requireConfirmation;
  row.frameId = frameId;
  if (mode == common::Mode::ACTUAL && c.origin != common::CheckOrigin::MANUAL) {
    // A scheduled check (or one from a broker that does not say, which counts as the day's
    // check as before) takes its day's slot, so the scheduler here does not issue another; a
    // manual `readiness run` on the peer does not (docs/replication.md).
    const std::string date = localDate(c.issuedAt);
    auto slot = city.checkScheduledFor(date);
    if (!slot) return slot.error();
    if (!*slot) row.scheduledFor = date;
  }
  if (auto s = city.insertCheck(row, *recipients); !s) return s.error();
  if (auto s = city.queueOutbound(*recipients, "readiness_check", c.checkId, envelope, c.issuedAt);
      !s) {
    return s.error();
  }
  // Answers pulled before the check (another chain) were recorded already: their copies are
  // delivered.
  auto answers = city.recipientAnswers(c.checkId);
  if (!answers) return answers.error();
  for (const auto& a : *answers) {
    if (!a.receivedAt) continue;
    if (auto s = city.markOutboundDelivered(a.provider, c.checkId, *a.receivedAt); !s) {
      return s.error();
    }
  }
  auto newestAt = metaInt(store, kMetaNewestCheckAt);
  if (!newestAt) return newestAt.error();
  if (c.issuedAt > *newestAt) {
    if (auto s = store.setMeta(kMetaNewestCheck, c.checkId); !s) return s.error();
    if (auto s = store.setMeta(kMetaNewestCheckAt, std::to_string(c.issuedAt)); !s) {
      return s.error();
    }
  }
  return out;
}

common::Result<PeerCityOutcome> applyDirective(Store& store, const common::DirectiveMsg& d,
                                               common::Mode mode, int64_t issuedAt,
                                               const std::string& keyIdHex,
                                               const common::Bytes& envelope, int64_t frameId) {
  PeerCityOutcome out;
  CityStore city(store);
  std::vector<std::string> recipients = d.recipients;
  if (recipients.empty()) {
    auto enrolled = city.enrolledProviders();
    if (!enrolled) return enrolled.error();
    recipients = std::move(enrolled).value();
  }
  // Directives are keyed by their signing city key and id: one of the peer's numbered like one
  // of this broker's while the two were apart is listed next to it (migration 16).
  auto taken = city.directiveOfKey(keyIdHex, static_cast<int64_t>(d.number), d.directiveId);
  if (!taken) return taken.error();
  if (*taken) return out;  // recorded already (a key's numbers and ids are its own)
  DirectiveRow row;
  row.id = d.directiveId;
  row.keyId = keyIdHex;
  row.number = static_cast<int64_t>(d.number);
  row.text = d.text;
  row.level = common::levelName(d.level);
  row.requireAck = d.requireAck;
  row.mode = common::modeName(mode);
  row.issuedAt = issuedAt;
  row.expiresAt = d.expiresAt;
  row.frameId = frameId;
  if (auto s = city.insertDirective(row, recipients); !s) return s.error();
  if (auto s =
          city.queueOutbound(recipients, "directive", d.directiveId, envelope, issuedAt, keyIdHex);
      !s) {
    return s.error();
  }
  // Acknowledgements pulled before the directive (the agents' chains come in their own order).
  auto acks = city.directiveAcksSince(issuedAt - kEarlyAckMarginMs);
  if (!acks) return acks.error();
  for (const auto& a : *acks) {
    auto parts = common::decodeEnvelope(a.envelope);
    if (!parts) continue;
    auto body = common::decodeBody(parts->body);
    if (!body) continue;
    const auto* ack = std::get_if<common::DirectiveAckMsg>(&body->payload);
    if (ack == nullptr || ack->directiveId != d.directiveId) continue;
    // An ack naming another key answers the other broker's directive of this id.
    if (!ack->issuerKeyId.empty() && common::toHex(ack->issuerKeyId) != keyIdHex) continue;
    if (auto s = recordDirectiveAck(store, a.sender, *ack, a.receivedAt); !s) return s.error();
  }
  if (auto s = noteDirectiveFacts(store, keyIdHex, d.number, d.recipients.empty(), d.level, mode,
                                  issuedAt);
      !s) {
    return s.error();
  }
  return out;
}

}  // namespace

common::Status noteDirectiveFacts(Store& store, const std::string& keyIdHex, uint64_t number,
                                  bool toAll, common::ReadinessLevel level, common::Mode mode,
                                  int64_t issuedAt) {
  if (toAll) {
    // Every provider should hold it: the time beacon names it so a withheld one shows.
    if (auto s = raiseMeta(store, kMetaDirectiveToAll, static_cast<int64_t>(number)); !s) return s;
    if (auto s = raiseMeta(store, std::string(kMetaDirectiveToAllByKey) + keyIdHex,
                           static_cast<int64_t>(number));
        !s) {
      return s;
    }
  }
  if (level != common::ReadinessLevel::UNCHANGED && mode == common::Mode::ACTUAL) {
    auto setAt = metaInt(store, kMetaLevelSetAt);
    if (!setAt) return setAt.error();
    // The newest level directive wins on both brokers, whichever arrived last.
    if (issuedAt >= *setAt) {
      if (auto s = store.setMeta(kMetaLevel, common::levelName(level)); !s) return s;
      if (auto s = store.setMeta(kMetaLevelSetAt, std::to_string(issuedAt)); !s) return s;
    }
  }
  return {};
}

common::Result<PeerCityOutcome> applyPeerCityMessage(Store& store, const common::Message& m,
                                                     const std::string& keyIdHex,
                                                     const common::Bytes& envelope,
                                                     int64_t frameId) {
  if (const auto* c = std::get_if<common::ReadinessCheckMsg>(&m.payload)) {
    return applyCheck(store, *c, m.mode, envelope, frameId);
  }
  if (const auto* d = std::get_if<common::DirectiveMsg>(&m.payload)) {
    return applyDirective(store, *d, m.mode, m.sentAt, keyIdHex, envelope, frameId);
  }
  return PeerCityOutcome{};
}

}  // namespace samband::broker
