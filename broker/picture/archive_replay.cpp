// See archive_replay.h. Chain heads, providers' last frames and the roster's owners are kept in
// maps while frames are applied (most frames then cost one prepared upsert) and written to the
// database by seal().
#include "broker/picture/archive_replay.h"

#include <algorithm>

#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "broker/store/city_store.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

constexpr const char* kMetaFormat = "replay_format";
constexpr const char* kMetaFrames = "replay_frames";
constexpr const char* kMetaLastFrameId = "replay_last_frame_id";
constexpr const char* kMetaReceivedUpTo = "replay_received_up_to";
constexpr const char* kMetaUndecodable = "replay_undecodable";

common::Result<int64_t> metaInt(Store& store, const char* key) {
  auto v = store.meta(key);
  if (!v) return v.error();
  if (!*v) return int64_t{0};
  try {
    return static_cast<int64_t>(std::stoll(**v));
  } catch (const std::exception&) {
    return common::invalidInput(std::string("the replay image's ") + key + " is not a number");
  }
}

}  // namespace

ArchiveReplay::ArchiveReplay(std::unique_ptr<Store> store)
    : store_(std::move(store)), archive_(std::make_unique<ArchiveStore>(*store_)) {}

ArchiveReplay::~ArchiveReplay() {
  archive_.reset();  // its prepared statements before the connection
}

common::Result<std::unique_ptr<ArchiveReplay>> ArchiveReplay::create() {
  auto store = Store::openMemory();
  if (!store) return store.error();
  std::unique_ptr<ArchiveReplay> r(new ArchiveReplay(std::move(store).value()));
  if (auto s = r->store_->setMeta(kMetaFormat, std::to_string(kReplayFormat)); !s) {
    return s.error();
  }
  return r;
}

common::Result<std::unique_ptr<ArchiveReplay>> ArchiveReplay::fromImage(
    const common::Bytes& image) {
  auto store = Store::fromImage(image);
  if (!store) return store.error();
  auto format = metaInt(**store, kMetaFormat);
  if (!format) return format.error();
  if (*format != kReplayFormat) {
    return common::invalidInput("a replay image of format " + std::to_string(*format) + ", not " +
                                std::to_string(kReplayFormat));
  }
  std::unique_ptr<ArchiveReplay> r(new ArchiveReplay(std::move(store).value()));
  if (auto s = r->load(); !s) return s.error();
  return r;
}

common::Status ArchiveReplay::load() {
  ReplayStore replay(*store_);
  auto heads = replay.heads();
  if (!heads) return heads.error();
  for (auto& h : *heads) heads_[{h.sender, h.keyId}] = std::move(h);
  auto seen = replay.lastSeen();
  if (!seen) return seen.error();
  lastSeen_ = std::move(seen).value();
  auto owners = RosterStore(*store_).loadUnitOwners();
  if (!owners) return owners.error();
  for (const auto& [code, provider] : *owners) owners_[code] = provider;
  auto names = CityStore(*store_).providerNames();
  if (!names) return names.error();
  for (const auto& [id, name] : *names) providers_.insert(id);
  const std::pair<const char*, int64_t*> counters[] = {{kMetaFrames, &frames_},
                                                       {kMetaLastFrameId, &lastFrameId_},
                                                       {kMetaReceivedUpTo, &receivedUpTo_},
                                                       {kMetaUndecodable, &undecodable_}};
  for (const auto& [key, out] : counters) {
    auto v = metaInt(*store_, key);
    if (!v) return v.error();
    *out = *v;
  }
  return {};
}

common::Status ArchiveReplay::inTransaction() {
  if (tx_) return {};
  auto tx = WriteTransaction::begin(*store_);
  if (!tx) return tx.error();
  tx_.emplace(std::move(tx).value());
  return {};
}

common::Status ArchiveReplay::knowProvider(const std::string& id, int64_t at) {
  if (providers_.count(id) != 0) return {};
  if (auto s = ReplayStore(*store_).addProvider(id, at); !s) return s;
  providers_.insert(id);
  return {};
}

common::Status ArchiveReplay::ownUnit(const std::string& code, const std::string& provider) {
  auto it = owners_.find(code);
  if (it != owners_.end() && it->second == provider) return {};
  if (auto s = knowProvider(provider, 0); !s) return s;
  if (auto s = ReplayStore(*store_).setUnitOwner(code, provider); !s) return s;
  owners_[code] = provider;
  return {};
}

common::Status ArchiveReplay::apply(const ReplayFrame& f) {
  if (auto s = inTransaction(); !s) return s;
  frames_++;
  lastFrameId_ = f.id;
  receivedUpTo_ = std::max(receivedUpTo_, f.receivedAt);
  auto parts = common::decodeEnvelope(f.envelope);
  if (!parts) {
    undecodable_++;
    return {};
  }
  auto body = common::decodeBody(parts->body);
  if (!body) {
    undecodable_++;
    return {};
  }
  const common::Message& m = *body;
  const std::string keyId = common::toHex(m.keyId);
  ChainHeadRow& head = heads_[{m.senderId, keyId}];
  head.sender = m.senderId;
  head.keyId = keyId;
  head.seq = static_cast<int64_t>(m.seq);
  head.frameId = f.id;
  head.kind = common::payloadKindName(m.payload);
  head.mode = common::modeName(m.mode);
  head.sentAt = m.sentAt;
  head.receivedAt = f.receivedAt;
  head.bodyHash = common::hash256(parts->body);
  int64_t& seen = lastSeen_[m.senderId];
  seen = std::max(seen, f.receivedAt);

  const bool fromCity = m.senderId == common::kCitySenderId;
  if (!fromCity) {
    if (auto s = knowProvider(m.senderId, 0); !s) return s;
  }
  const char* mode = common::modeName(m.mode);
  CityStore city(*store_);
  ReplayStore replay(*store_);
  // The provider's part: what PictureProjection::apply does, call for call.
  if (auto* s = std::get_if<common::UnitStatusMsg>(&m.payload)) {
    if (auto st = ownUnit(s->unitCode, m.senderId); !st) return st;
    return archive_->upsertUnitStatus(mode, m.senderId, f.id, m.sentAt, f.receivedAt, *s);
  }
  if (auto* c = std::get_if<common::CapacityMsg>(&m.payload)) {
    if (auto st = ownUnit(c->unitCode, m.senderId); !st) return st;
    return archive_->replaceCapacity(mode, f.id, m.sentAt, *c);
  }
  if (auto* co = std::get_if<common::ContinuityMsg>(&m.payload)) {
    return archive_->upsertContinuity(mode, m.senderId, f.id, m.sentAt, *co);
  }
  if (auto* kr = std::get_if<common::KeyRotationMsg>(&m.payload)) {
    return archive_->addRotatedKey(m.senderId, *kr, f.receivedAt);
  }
  if (auto* ra = std::get_if<common::ReadinessAnswerMsg>(&m.payload)) {
    // Answers to checks the replay no longer keeps (or never knew) change no open check.
    auto known = replay.hasCheck(ra->checkId);
    if (!known) return known.error();
    if (!*known) return {};
    return recordReadinessAnswer(*store_, m.senderId, *ra, m.sentAt, f.receivedAt, f.id);
  }
  if (auto* da = std::get_if<common::DirectiveAckMsg>(&m.payload)) {
    return recordDirectiveAck(*store_, m.senderId, *da, f.receivedAt);
  }
  if (!fromCity) return {};
  // The city's part: what issueCheck, sendDirective and the roster commands wrote beside the
  // frame in the same transaction.
  if (auto* rc = std::get_if<common::ReadinessCheckMsg>(&m.payload)) {
    auto recipients = city.enrolledProviders();
    if (!recipients) return recipients.error();
    ReadinessCheckRow row;
    row.id = rc->checkId;
    row.issuedAt = rc->issuedAt;
    row.deadline = rc->deadline;
    row.mode = mode;
    row.requireConfirmation = rc->requireConfirmation;
    row.frameId = f.id;
    auto known = replay.hasCheck(rc->checkId);
    if (!known) return known.error();
    if (!*known) {
      if (auto s = city.insertCheck(row, *recipients); !s) return s;
    }
    return replay.dropChecksBefore(rc->issuedAt - kReplayKeepChecksMs);
  }
  if (auto* d = std::get_if<common::DirectiveMsg>(&m.payload)) {
    std::vector<std::string> recipients = d->recipients;
    if (recipients.empty()) {
      auto all = city.enrolledProviders();
      if (!all) return all.error();
      recipients = std::move(all).value();
    }
    // Keyed by the signing city key, as on the brokers themselves: two brokers that numbered a
    // directive alike while apart (docs/replication.md) are both listed.
    const std::string directiveKey = common::toHex(m.keyId);
    auto taken = city.directiveOfKey(directiveKey, static_cast<int64_t>(d->number), d->directiveId);
    if (!taken) return taken.error();
    if (*taken) return {};
    DirectiveRow row;
    row.id = d->directiveId;
    row.keyId = directiveKey;
    row.number = static_cast<int64_t>(d->number);
    row.text = d->text;
    row.level = common::levelName(d->level);
    row.requireAck = d->requireAck;
    row.mode = mode;
    row.issuedAt = m.sentAt;
    row.expiresAt = d->expiresAt;
    row.frameId = f.id;
    if (auto s = city.insertDirective(row, recipients); !s) return s;
    if (d->level != common::ReadinessLevel::UNCHANGED && m.mode == common::Mode::ACTUAL) {
      return store_->setMeta(kMetaLevel, common::levelName(d->level));
    }
    return {};
  }
  if (auto* info = std::get_if<common::RosterInfoMsg>(&m.payload)) {
    // Labels as the city signed them (issue 15); a unit record adds a unit not yet owned, as
    // `roster import` did, and is not applied to a unit of another provider (as on a broker).
    std::map<std::string, std::string> names;
    std::vector<UnitRosterRow> units;
    if (info->kind == common::RosterInfoKind::PROVIDER_NAME) {
      if (auto s = knowProvider(info->provider, 0); !s) return s;
      names[info->provider] = info->text;
    }
    for (const auto& u : info->units) {
      auto owner = owners_.find(u.code);
      if (owner != owners_.end() && owner->second != info->provider) continue;
      if (auto s = ownUnit(u.code, info->provider); !s) return s;
      units.push_back(
          UnitRosterRow{u.code, info->provider, u.name, u.district, u.lat, u.lon, u.schoolForms});
    }
    return replay.setLabels(names, units);
  }
  if (auto* e = std::get_if<common::EnrolmentMsg>(&m.payload)) {
    const std::string recordKey = common::toHex(e->keyId);
    switch (e->action) {
      case common::EnrolmentAction::ENROL:
        if (auto s = knowProvider(e->provider, e->effectiveAt); !s) return s;
        if (auto s = replay.addKey(recordKey, e->provider, e->signPublic, e->curvePublic,
                                   e->effectiveAt);
            !s) {
          return s;
        }
        break;
      case common::EnrolmentAction::REVOKE:
        return replay.revokeKey(recordKey, e->effectiveAt);
      case common::EnrolmentAction::UNITS:
        if (auto s = knowProvider(e->provider, e->effectiveAt); !s) return s;
        break;
    }
    for (const auto& unit : e->units) {
      if (auto s = ownUnit(unit, e->provider); !s) return s;
    }
  }
  return {};
}

common::Status ArchiveReplay::seal() {
  if (auto s = inTransaction(); !s) return s;
  ReplayStore replay(*store_);
  std::vector<ChainHeadRow> heads;
  heads.reserve(heads_.size());
  for (const auto& [key, h] : heads_) heads.push_back(h);
  if (auto s = replay.putHeads(heads); !s) return s;
  std::map<std::string, int64_t> providerSeen;
  for (const auto& [id, at] : lastSeen_) {
    if (id != common::kCitySenderId) providerSeen[id] = at;
  }
  if (auto s = replay.putLastSeen(providerSeen); !s) return s;
  const std::pair<const char*, int64_t> counters[] = {{kMetaFrames, frames_},
                                                      {kMetaLastFrameId, lastFrameId_},
                                                      {kMetaReceivedUpTo, receivedUpTo_},
                                                      {kMetaUndecodable, undecodable_}};
  for (const auto& [key, value] : counters) {
    if (auto s = store_->setMeta(key, std::to_string(value)); !s) return s;
  }
  auto s = tx_->commit();
  tx_.reset();
  return s;
}

common::Result<common::Bytes> ArchiveReplay::image() {
  if (auto s = seal(); !s) return s.error();
  return store_->image();
}

}  // namespace samband::broker
