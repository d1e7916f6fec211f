// See committer.h. The chain rule (chain_rule.h) makes every sender's archive one unbroken chain;
// an ack for seq therefore covers everything before it.
#include "broker/ingest/committer.h"

#include <unordered_set>

#include "broker/city/city_chain.h"
#include "broker/city/peer_city_messages.h"
#include "broker/ingest/chain_rule.h"
#include "broker/store/accounts_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/write_transaction.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

using common::RejectReason;

namespace {

constexpr int kWriterCacheKiB = 64 * 1024;

}  // namespace

Committer::Committer(Store& store, const common::Clock& clock, Metrics& metrics, CommitterCity city,
                     RefusalLog::Sink refusalLog)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      archive_(store),
      projection_(store, archive_),
      delivery_(store, clock),
      refusalLog_(refusalLog ? std::move(refusalLog)
                             : [](const std::string& line, const common::LogFields& fields) {
                                 common::logWarn("ingest", line, fields);
                               }) {
  city_ = city.identity;
  if (city.identity != nullptr && city.checkpoints) {
    checkpointer_ = std::make_unique<Checkpointer>(store, *city.identity);
  }
  if (city.identity != nullptr && city.beaconPeriodMs > 0) {
    beacon_ = std::make_unique<TimeBeaconMaker>(*city.identity, city.beaconPeriodMs);
  }
  // The write path's connection. A batch of a thousand reports dirties a few MiB of pages: with
  // SQLite's default 2 MiB cache it would spill them to the WAL mid-transaction and read them
  // back. (SQLite's default checkpoint interval, 1000 pages, measured better than 400 or 4000.)
  if (auto s = archive_.setCacheKiB(kWriterCacheKiB); !s) {
    common::logWarn("commit", "cannot size the page cache: " + s.error().message);
  }
}

common::Result<ChainHead*> Committer::headFor(const std::string& sender, const std::string& keyId) {
  headKey_.assign(sender).append("/").append(keyId);  // reuses its buffer: no allocation per frame
  auto it = heads_.find(headKey_);
  if (it != heads_.end()) return &it->second;
  auto h = archive_.head(sender, keyId);
  if (!h) return h.error();
  return &heads_.emplace(headKey_, std::move(h).value()).first->second;
}

common::Result<HeartbeatMark*> Committer::lastHeartbeatFor(const std::string& keyId) {
  auto it = lastHeartbeat_.find(keyId);
  if (it != lastHeartbeat_.end()) return &it->second;
  auto last = archive_.lastHeartbeat(keyId);
  if (!last) return last.error();
  return &lastHeartbeat_.emplace(keyId, *last).first->second;
}

common::Status Committer::refuse(const std::string& routingId, const Refusal& r, Replies& out) {
  rejectedInBatch_[common::rejectReasonName(r.reason)]++;
  refusalLog_.note(common::rejectReasonName(r.reason), r.sender, clock_.nowMs());
  metrics_.rejected[static_cast<size_t>(r.reason) % kRejectReasons]++;
  if (routingId.empty()) return {};
  common::RejectMsg msg;
  msg.seq = r.seq;
  msg.reason = r.reason;
  msg.detail = r.detail;
  if (!r.sender.empty() &&
      (r.reason == RejectReason::REPLAY || r.reason == RejectReason::OUT_OF_ORDER)) {
    auto h = headFor(r.sender, r.keyIdHex);
    if (!h) return h.error();
    msg.headSeq = (*h)->seq;
    msg.headHash = (*h)->hash;
  }
  out.add(routingId, common::encodeDownlink(msg));
  return {};
}

common::Status Committer::handleHeartbeat(const std::string& routingId, const VerifiedFrame& f,
                                          Replies& out) {
  const auto& m = f.message();
  const auto& hb = std::get<common::HeartbeatMsg>(m.payload);
  auto found = lastHeartbeatFor(f.keyIdHex());
  if (!found) return found.error();
  HeartbeatMark& last = **found;
  // Freshness by the key's counter, never by the sender's clock: one heartbeat stamped days
  // ahead must not make the correct ones after it replays. Only an agent that sends no
  // counter (an older version) is still judged by sentAt.
  const bool fresh = hb.counter > 0 ? hb.counter > last.counter : m.sentAt > last.sentAt;
  if (!fresh) {
    return refuse(routingId,
                  Refusal{RejectReason::REPLAY,
                          hb.counter > 0 ? "heartbeat counter not above the last one accepted"
                                         : "heartbeat not newer than the last one",
                          m.senderId, f.keyIdHex(), 0},
                  out);
  }
  if (hb.counter > 0) last.counter = hb.counter;
  last.sentAt = m.sentAt;
  metrics_.heartbeats++;
  heartbeatInBatch_[f.keyIdHex()] = last;
  lastSeenInBatch_[m.senderId] = f.receivedAt();
  // Heartbeats are sent the moment they are signed and never queued, so sentAt minus the
  // receive time is the provider's clock offset (plus the one-way delay, milliseconds).
  clockOffsetInBatch_[m.senderId] = ClockOffset{m.sentAt - f.receivedAt(), f.receivedAt()};
  auto h = headFor(m.senderId, f.keyIdHex());
  if (!h) return h.error();
  const int64_t now = clock_.nowMs();
  // The city's key records go ahead of the reply, so an agent that pins only the city's root
  // knows the key that signs the beacon (issue 15, docs/protocol.md "City keys").
  for (auto& record : cityKeys_.dueFor(store_, routingId, now)) {
    out.add(routingId, common::encodeDownlink(common::CityEnvelopeMsg{std::move(record)}));
  }
  common::HeadMsg head{(*h)->seq, (*h)->hash, now, {}};
  if (beacon_) head.beacon = beacon_->current(store_, now);
  out.add(routingId, common::encodeDownlink(head));
  // City messages queued for this provider go out behind the heartbeat's reply.
  return delivery_.deliverDue(routingId, m.senderId, out);
}

common::Status Committer::loadRevokedHeads() {
  auto heads = RosterStore(store_).revokedHeads();
  if (!heads) return heads.error();
  revokedAfter_ = std::move(heads).value();
  return {};
}

common::Status Committer::handleFrame(const std::string& routingId, const VerifiedFrame& f,
                                      Replies& out) {
  const auto& m = f.message();
  delivery_.noteRoute(m.senderId, routingId);
  if (m.isHeartbeat()) return handleHeartbeat(routingId, f, out);
  // A revoked key, by its place in its chain (docs/replication.md): read in this transaction, so
  // a frame that passed the gate before the gate re-read the roster is refused here if the
  // revocation was committed first, and is at or below the head the revocation names otherwise.
  if (auto revoked = revokedAfter_.find(f.keyIdHex());
      revoked != revokedAfter_.end() && m.seq > revoked->second) {
    return refuse(
        routingId,
        Refusal{RejectReason::REVOKED,
                "key " + f.keyIdHex() + " is revoked after seq " + std::to_string(revoked->second),
                m.senderId, f.keyIdHex(), m.seq},
        out);
  }
  auto found = headFor(m.senderId, f.keyIdHex());
  if (!found) return found.error();
  ChainHead& head = **found;
  std::optional<common::Bytes> stored;
  if (needsStoredBody(head, m.seq)) {
    auto s = archive_.bodyHashAt(m.senderId, f.keyIdHex(), m.seq);
    if (!s) return s.error();
    stored = std::move(s).value();
  }
  const ChainVerdict verdict = judgeLink(head, ChainLink{m.seq, m.prevHash, f.bodyHash()}, stored);
  switch (verdict) {
    case ChainVerdict::duplicate:
      metrics_.duplicates++;
      if (f.channel() == Channel::network) lastSeenInBatch_[m.senderId] = f.receivedAt();
      out.ack(routingId, f.keyIdHex(), m.seq, true);
      return {};
    case ChainVerdict::replay:
      return refuse(routingId,
                    Refusal{RejectReason::REPLAY, chainRefusalDetail(verdict, head, m.seq),
                            m.senderId, f.keyIdHex(), m.seq},
                    out);
    case ChainVerdict::gap:
    case ChainVerdict::fork:
      return refuse(routingId,
                    Refusal{RejectReason::OUT_OF_ORDER, chainRefusalDetail(verdict, head, m.seq),
                            m.senderId, f.keyIdHex(), m.seq},
                    out);
    case ChainVerdict::append:
      break;
  }
  // Issue 16: the batch frame is stored once, as sent, with the first of its reports stored;
  // each report stored from it keeps no body of its own (an empty envelope) and points to its
  // index in the batch, so its body is written once (migration 17, stored_envelopes.h).
  int64_t batchId = 0;
  if (f.batch()) {
    auto [it, isNew] = batchIdsInBatch_.try_emplace(f.batch().get(), 0);
    if (isNew) {
      auto stored = archive_.appendBatch(m.senderId, f.keyIdHex(), f.receivedAt(), *f.batch());
      if (!stored) return stored.error();
      it->second = *stored;
      metrics_.batchesStored++;
    }
    batchId = it->second;
  }
  auto frameId = archive_.appendFrame(NewFrame{
      m.senderId, f.keyIdHex(), m.seq, common::payloadKindName(m.payload), common::modeName(m.mode),
      m.sentAt, f.receivedAt(), f.bodyHash(), f.envelope(), batchId, f.batchIndex()});
  if (!frameId) return frameId.error();
  if (auto s = projection_.apply(f, *frameId); !s) return s;
  if (auto s = applyPeerCityRecord(f, *frameId); !s) return s;
  head.seq = m.seq;
  head.hash = f.bodyHash();
  metrics_.framesAccepted++;
  // A frame from an offline file says nothing about the link: the provider is not "seen".
  if (f.channel() == Channel::network) lastSeenInBatch_[m.senderId] = f.receivedAt();
  out.ack(routingId, f.keyIdHex(), m.seq, false);
  return {};
}

common::Status Committer::applyPeerCityRecord(const VerifiedFrame& f, int64_t frameId) {
  // A peer broker's city records change this broker's tables in the transaction that archives
  // them (docs/replication.md): an enrolment, revocation or units record the roster, a readiness
  // check or a directive the readiness and directive tables and the outbound queue. The local
  // CLI, board and scheduler write those themselves.
  const auto& m = f.message();
  if (f.channel() != Channel::peer || m.senderId != common::kCitySenderId) return {};
  if (m.isCityKey()) {
    CityKeyAnnouncer::recordArchived();  // agents hear of it before anything the key signs
    return {};
  }
  if (const auto* record = std::get_if<common::EnrolmentMsg>(&m.payload)) {
    auto outcome = RosterStore(store_).applyRecord(*record);
    if (!outcome) return outcome.error();
    for (const auto& conflict : outcome->conflicts) {
      common::logWarn("replication",
                      "a peer's roster record was archived but not applied: " + conflict);
    }
    if (record->action != common::EnrolmentAction::REVOKE) return {};
    if (outcome->publishRevokedAfterSeq && city_ != nullptr) {
      // This archive holds more of the revoked key's chain than the peer's record names (frames
      // this broker stored before the revocation reached it): its own record says so, and the
      // peer admits them too, so both archives end alike.
      common::EnrolmentMsg own = *record;
      own.revokedAfterSeq = outcome->publishRevokedAfterSeq;
      auto issued = CityChain(store_, *city_).record(own, clock_.nowMs());
      if (!issued) return issued.error();
      // That record sealed a checkpoint of its own: the next seal starts from it.
      if (checkpointer_) checkpointer_->forget();
    }
    return loadRevokedHeads();
  }
  if (const auto* account = std::get_if<common::AccountMsg>(&m.payload)) {
    // A board account (docs/decisions/0014-replicated-board-accounts.md): its hash came beside
    // the frames and was kept under its digest before this commit.
    auto outcome = AccountsStore(store_).applyAccount(*account, m.sentAt);
    if (!outcome) return outcome.error();
    for (const auto& conflict : outcome->conflicts) {
      common::logWarn("replication", "a peer's account record: " + conflict);
    }
    return {};
  }
  if (const auto* info = std::get_if<common::RosterInfoMsg>(&m.payload)) {
    // Unit metadata, a duty contact or a provider's name: the newest version wins (its sentAt).
    auto outcome = RosterStore(store_).applyInfo(*info, m.sentAt);
    if (!outcome) return outcome.error();
    for (const auto& conflict : outcome->conflicts) {
      common::logWarn("replication",
                      "a peer's roster record was archived but not applied: " + conflict);
    }
    return {};
  }
  auto outcome = applyPeerCityMessage(store_, m, f.keyIdHex(), f.envelope(), frameId);
  if (!outcome) return outcome.error();
  for (const auto& conflict : outcome->conflicts) {
    common::logWarn("replication", "a peer's city message was archived: " + conflict);
  }
  return {};
}

std::vector<Reply> Committer::pushNewOutbound() {
  auto pushed = delivery_.pushNew();
  if (!pushed) {
    // Heartbeats deliver it.
    common::logWarn("commit", "cannot push queued city messages: " + pushed.error().message);
    return {};
  }
  // A pushed message may be signed by a broker key the agent has not been told of yet (a peer's
  // certificate pulled in the same commit as the peer's directive): its key records go first,
  // or the agent would refuse the directive as forged.
  std::vector<Reply> out;
  std::unordered_set<std::string> given;
  const int64_t now = clock_.nowMs();
  for (auto& reply : *pushed) {
    if (given.insert(reply.routingId).second) {
      for (auto& record : cityKeys_.dueFor(store_, reply.routingId, now)) {
        out.emplace_back(reply.routingId,
                         common::encodeDownlink(common::CityEnvelopeMsg{std::move(record)}));
      }
    }
    out.push_back(std::move(reply));
  }
  return out;
}

common::Status Committer::flushCounters() {
  if (auto s = archive_.addRejections(rejectedInBatch_); !s) return s;
  if (auto s = archive_.noteLastSeen(lastSeenInBatch_); !s) return s;
  if (auto s = archive_.setClockOffsets(clockOffsetInBatch_); !s) return s;
  return archive_.setLastHeartbeats(heartbeatInBatch_);
}

common::Status Committer::applyBatch(std::vector<WorkItem>& batch, Replies& out) {
  // Inside the write lock: if another connection stored frames since our last batch (an
  // offline import while serving), the cached chain heads may be behind the database.
  auto version = dataVersion(store_);
  if (!version) return version.error();
  if (*version != dataVersion_) {
    heads_.clear();
    lastHeartbeat_.clear();
    if (checkpointer_) checkpointer_->forget();
    // A revocation by the CLI (another connection) counts from the next frame on.
    if (auto s = loadRevokedHeads(); !s) return s;
    dataVersion_ = *version;
  }
  for (auto& item : batch) {
    metrics_.framesReceived++;
    common::Status s;
    if (auto* f = std::get_if<VerifiedFrame>(&item.admission)) {
      s = handleFrame(item.routingId, *f, out);
    } else {
      s = refuse(item.routingId, std::get<Refusal>(item.admission), out);
    }
    if (!s) return s;
  }
  if (auto s = projection_.flush(); !s) return s;
  if (auto s = flushCounters(); !s) return s;
  // One signature for the whole batch: the checkpoint over every frame it stored.
  if (checkpointer_) {
    if (auto sealed = checkpointer_->seal(clock_.nowMs()); !sealed) return sealed.error();
  }
  return {};
}

std::vector<Reply> Committer::apply(std::vector<WorkItem>& batch) {
  Replies out;
  rejectedInBatch_.clear();
  lastSeenInBatch_.clear();
  heartbeatInBatch_.clear();
  clockOffsetInBatch_.clear();
  batchIdsInBatch_.clear();
  projection_.discard();
  int64_t started = common::monotonicMs();
  common::Status result;
  if (auto tx = WriteTransaction::begin(store_); !tx) {
    result = tx.error();
  } else {
    try {
      result = applyBatch(batch, out);
    } catch (const std::exception& e) {
      // The stores return errors; this is for anything else (e.g. out of memory).
      result = common::internalError(e.what());
    }
    if (result) {
      result = tx->commit();
    } else {
      // A statement whose step failed keeps that error until reset, and reset() would throw
      // it again in the next batch; clear it here so only this batch is lost.
      archive_.clearStatementErrors();
      tx->rollback();
    }
  }
  refusalLog_.flush(clock_.nowMs());
  if (!result) {
    archive_.clearStatementErrors();
    heads_.clear();
    lastHeartbeat_.clear();
    if (checkpointer_) {
      checkpointer_->clearStatementErrors();
      checkpointer_->forget();
    }
    metrics_.commitFailures++;
    common::logError("commit", "batch not stored, nothing acknowledged: " + result.error().message);
    return {};
  }
  metrics_.observeCommit(common::monotonicMs() - started, batch.size());
  if (!checkpointer_) return out.finish();
  return out.finish([this](const std::string& keyId, uint64_t seq) {
    return checkpointer_->receiptFor(keyId, seq);
  });
}

}  // namespace samband::broker
