// The agent's protocol engine. The state table it implements is in docs/agent.md ("How the agent
// talks to the broker"); the rules come from docs/protocol.md.
#include "agent/session.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "agent/agent_identity.h"
#include "agent/city_message.h"
#include "agent/database.h"
#include "agent/key_rotation.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

using common::Bytes;
using common::Result;

constexpr size_t kMaxSentRecords = 4096;
// `status` trusts a link_state row for this many refresh periods.
constexpr int64_t kStaleAfterRefreshes = 3;

std::string configDir(const AgentConfig& c) {
  auto slash = c.configPath.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return c.configPath.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace

Result<std::unique_ptr<AgentSession>> AgentSession::open(zmq::context_t& context,
                                                         const AgentConfig& config,
                                                         const common::Clock& clock,
                                                         SessionOptions options) {
  if (common::Status s = checkAgentConfig(config, config.configPath); !s) return s.error();
  auto db = openAgentDatabase(config.outboxPath, OpenMode::createIfMissing);
  if (!db) return db.error();
  // A rotation whose outbox switch is committed is finished before the identity is read.
  if (common::Status s = finishKeyRotation(config, **db); !s) return s.error();
  auto identity = loadAgentIdentity(config);
  if (!identity) return identity.error();
  std::unique_ptr<AgentSession> session(new AgentSession(
      context, config, clock, options, std::move(identity).value(), std::move(db).value()));
  // Refuse an outbox written under another key now, not at the first realign.
  if (common::Status s = session->outbox_->verifyKey(); !s) return s.error();
  session->refreshRange();
  session->refreshRotation();
  session->writeState(common::monotonicMs(), true);
  return session;
}

AgentSession::AgentSession(zmq::context_t& context, AgentConfig config, const common::Clock& clock,
                           SessionOptions options, std::unique_ptr<common::Identity> identity,
                           std::unique_ptr<SQLite::Database> db)
    : context_(context),
      config_(std::move(config)),
      clock_(clock),
      options_(options),
      identity_(std::move(identity)),
      db_(std::move(db)) {
  outbox_ = std::make_unique<Outbox>(*db_, *identity_);
  inbox_ = std::make_unique<Inbox>(*db_);
  stateStore_ = std::make_unique<LinkStateStore>(*db_);
  LinkSettings ls;
  ls.endpoint = config_.endpoint;
  ls.serverKey = config_.cityCurvePublic;
  ls.clientPublic = identity_->curvePublic();
  ls.clientSecret = identity_->curveSecret();
  ls.reconnectMinMs = config_.reconnectMinMs;
  ls.reconnectMaxMs = config_.reconnectMaxMs;
  ls.handshakeTimeoutMs = std::max<int64_t>(config_.ackTimeoutMs, 1000);
  ls.keepaliveMs = std::clamp<int64_t>(config_.heartbeatIntervalMs, 1000, 10000);
  ls.sendHighWater = static_cast<int>(std::max<int64_t>(1000, config_.window * 2 + 16));
  LinkListener& listener = *this;
  link_ = std::make_unique<Link>(context_, ls, listener, options_.seed);
  state_.running = true;
  state_.pid = static_cast<int>(::getpid());
  state_.level = common::levelName(level_);
}

AgentSession::~AgentSession() { shutdown(); }

void AgentSession::shutdown() {
  if (shutDown_) return;
  shutDown_ = true;
  link_->stop();
  state_.running = false;
  state_.connected = false;
  writeState(common::monotonicMs(), true);
}

// ---- link events ---------------------------------------------------------------------------

void AgentSession::onLinkUp(int64_t nowMs) {
  ++counters_.connects;
  common::logInfo("agent", config_.provider + ": connected to the broker at " + config_.endpoint);
  state_.connected = true;
  state_.lastConnectedAt = clock_.nowMs();
  clearError(ErrorClass::link);
  connAckedSeq_ = 0;
  pendingAck_ = 0;
  sent_.clear();
  cursor_ = 0;
  switchHeartbeatSent_ = false;
  refreshRange();  // before the heartbeat, which reports how many are pending
  sendHeartbeat(nowMs);
  resendFromFirstUnacked(nowMs);
  writeState(nowMs, true);
}

void AgentSession::onLinkDown(int64_t nowMs, LinkFailure failure, const std::string& detail) {
  bool wasConnected = state_.connected;
  state_.connected = false;
  sent_.clear();
  sendBlocked_ = false;
  switchHeartbeatSent_ = false;
  std::string message;
  switch (failure) {
    case LinkFailure::handshakeRefused:
      message =
          "the broker refused this agent's key: it is not enrolled or was revoked; ask the "
          "city to run samband-broker enroll with " +
          configDir(config_) + "/enroll-request.json";
      break;
    case LinkFailure::handshakeFailed:
      message = "no CURVE handshake with the broker at " + config_.endpoint +
                ": check [broker] city_curve_public in agent.toml and that the broker is running";
      break;
    case LinkFailure::unreachable:
      message = "cannot reach the broker at " + config_.endpoint +
                ": check [broker] endpoint in agent.toml, the network, and that the broker is "
                "running";
      break;
    case LinkFailure::lost:
      message = "lost the connection to the broker at " + config_.endpoint + "; reconnecting";
      break;
  }
  // Log each new kind of failure once, not every retry of the backoff.
  if (wasConnected || !state_.lastError || *state_.lastError != message) {
    common::logWarn("agent", config_.provider + ": " + message + " (" + detail + ")");
  }
  setError(message, nowMs, ErrorClass::link);
  writeState(nowMs, wasConnected);
}

void AgentSession::onLinkFrame(const uint8_t* data, size_t size, int64_t nowMs) {
  auto downlink = common::decodeDownlink(data, size);
  if (!downlink) {
    ++counters_.badDownlinks;
    uint64_t suppressed = 0;
    if (logLimiter_.allow(nowMs, &suppressed)) {
      common::logWarn("agent", "unreadable downlink from the broker: " + downlink.error().message);
    }
    return;
  }
  if (auto* ack = std::get_if<common::AckMsg>(&*downlink)) {
    ++counters_.acks;
    pendingAck_ = std::max(pendingAck_, ack->seq);
    return;
  }
  // Acks are applied in one transaction per read, but always before anything that may
  // realign, so rows acknowledged as duplicates are gone first.
  flushAcks(nowMs);
  if (auto* reject = std::get_if<common::RejectMsg>(&*downlink)) {
    handleReject(*reject, nowMs);
  } else if (auto* head = std::get_if<common::HeadMsg>(&*downlink)) {
    handleHead(*head, nowMs);
  } else if (auto* city = std::get_if<common::CityEnvelopeMsg>(&*downlink)) {
    handleCity(*city, nowMs);
  }
}

void AgentSession::onReadable(int64_t nowMs) {
  link_->onReadable(nowMs);
  flushAcks(nowMs);
}

// ---- acks, rejects, heads ------------------------------------------------------------------

void AgentSession::flushAcks(int64_t nowMs) {
  if (pendingAck_ == 0) return;
  uint64_t seq = pendingAck_;
  pendingAck_ = 0;
  auto deleted = outbox_->ack(seq);
  if (!deleted) {
    setError(deleted.error().message, nowMs);
    return;
  }
  if (seq > connAckedSeq_) {
    connAckedSeq_ = seq;
    waitingSinceMs_ = nowMs;
  }
  sent_.erase(std::remove_if(sent_.begin(), sent_.end(),
                             [seq](const SentFrame& f) { return f.seq <= seq; }),
              sent_.end());
  if (*deleted > 0) {
    if (!rotationAcknowledged_) {
      refreshRotation();
      if (rotationAcknowledged_) {
        common::logInfo("agent", config_.provider +
                                     ": the broker acknowledged the key rotation; switching to "
                                     "the new key once nothing is in flight");
      }
    }
    state_.lastAckAt = clock_.nowMs();
    // A problem that is not about the connection is over once the broker stores frames again.
    clearError(ErrorClass::transient);
    stateDirty_ = true;
  }
  refreshRange();
  pump(nowMs);
}

std::optional<AgentSession::SentFrame> AgentSession::takeSent(uint64_t seq) {
  for (auto it = sent_.begin(); it != sent_.end(); ++it) {
    if (it->seq == seq) {
      SentFrame f = *it;
      sent_.erase(it);
      return f;
    }
  }
  return std::nullopt;
}

void AgentSession::applyRealign(const Result<RealignOutcome>& outcome, const std::string& why,
                                int64_t nowMs) {
  if (!outcome) {
    setError(outcome.error().message, nowMs);
    return;
  }
  if (!outcome->changed) return;
  ++counters_.realigns;
  if (outcome->resigned > 0) {
    common::logWarn("agent", config_.provider + ": " + why + ": re-signed " +
                                 std::to_string(outcome->resigned) +
                                 " pending message(s) to continue the broker's chain; the agent "
                                 "now signs up to seq " +
                                 std::to_string(outcome->head.seq));
  } else if (outcome->headMoved) {
    common::logWarn("agent", config_.provider + ": " + why +
                                 ": the chain now continues from the "
                                 "broker's seq " +
                                 std::to_string(outcome->head.seq) +
                                 " (was this directory restored from a backup?)");
  }
  refreshRange();
  resendFromFirstUnacked(nowMs);
}

void AgentSession::handleReject(const common::RejectMsg& r, int64_t nowMs) {
  ++counters_.rejects;
  const std::string reason = common::rejectReasonName(r.reason);
  const std::string detail = r.detail.empty() ? "" : " (" + r.detail + ")";
  const bool aboutTheChain =
      r.reason == common::RejectReason::REPLAY || r.reason == common::RejectReason::OUT_OF_ORDER;
  const std::string line = config_.provider + ": the broker refused seq " + std::to_string(r.seq) +
                           ": " + reason + detail;
  if (aboutTheChain) {
    common::logDebug("agent", line);  // expected while realigning; the realign itself is logged
  } else {
    uint64_t suppressed = 0;
    if (logLimiter_.allow(nowMs, &suppressed)) {
      common::logWarn("agent", line + (suppressed ? " [" + std::to_string(suppressed) +
                                                        " similar messages suppressed]"
                                                  : ""));
    }
  }
  // A head at or below what this connection already saw acknowledged is older news.
  bool headIsStale = r.headSeq < connAckedSeq_;

  if (r.seq == 0 && (r.reason == common::RejectReason::MALFORMED ||
                     r.reason == common::RejectReason::OVERSIZED)) {
    // Nothing in the frame could be trusted (oversized or not decodable): we cannot tell which
    // frame it was. Every frame we send passed the same codec, so this means the two sides
    // disagree about the format; resending waits for the ack timeout.
    setError("the broker could not read a frame from this agent (" + reason +
                 "); update samband-agent to the version the city's broker runs",
             nowMs);
    return;
  }
  // Seq 0 with any other reason refuses a heartbeat: identity reasons are handled below; a
  // replayed heartbeat (its sentAt not newer than the last) has no row to act on.
  std::optional<SentFrame> frame = takeSent(r.seq);
  switch (r.reason) {
    case common::RejectReason::REPLAY:
    case common::RejectReason::OUT_OF_ORDER: {
      if (!frame || frame->epoch != epoch_ || headIsStale) return;  // answered already
      auto outcome = outbox_->realign(r.headSeq, r.headHash);
      if (outcome && !outcome->changed) {
        // Our chain fits the broker's head; a frame before this one got lost. Start over from
        // the first unacknowledged row once, not once per refused frame.
        resendFromFirstUnacked(nowMs);
        return;
      }
      applyRealign(outcome, "the broker's chain is at seq " + std::to_string(r.headSeq), nowMs);
      return;
    }
    case common::RejectReason::FORBIDDEN:
    case common::RejectReason::UNIT_NOT_OWNED:
    case common::RejectReason::MALFORMED: {
      if (!frame) return;  // not a frame we have on record: stale
      ChainHead anchor{r.headSeq, r.headHash};
      if (headIsStale) {
        auto acked = outbox_->acked();
        if (!acked) {
          setError(acked.error().message, nowMs);
          return;
        }
        anchor = *acked;
      }
      auto outcome = outbox_->deadLetter(frame->rowId, reason, r.detail, clock_.nowMs(), anchor.seq,
                                         anchor.hash);
      if (!outcome) {
        setError(outcome.error().message, nowMs);
        return;
      }
      if (!outcome->changed) return;
      ++counters_.deadLetters;
      std::string advice;
      if (r.reason == common::RejectReason::UNIT_NOT_OWNED) {
        advice = "the city's roster does not list that unit for provider " + config_.provider +
                 "; check [agent] units in agent.toml with the city";
      } else if (r.reason == common::RejectReason::FORBIDDEN) {
        advice = "agents may not send that kind of message; report this as a bug";
      } else {
        advice = "the broker could not read it; update samband-agent to the broker's version";
      }
      setError("the broker refused message seq " + std::to_string(r.seq) + " (" + reason + detail +
                   ") for good; it was moved to the dead letters (samband-agent status "
                   "shows them): " +
                   advice,
               nowMs, ErrorClass::sticky);
      common::logWarn("agent", config_.provider + ": moved seq " + std::to_string(r.seq) +
                                   " to the dead letters (" + reason + ")");
      ++counters_.realigns;
      refreshRange();
      resendFromFirstUnacked(nowMs);
      return;
    }
    case common::RejectReason::BAD_SIGNATURE:
      setError(
          "the broker says this agent's signatures do not verify: agent.identity is not the "
          "key the city enrolled; restore the enrolled identity from backup, or ask the city "
          "to enroll this one (" +
              configDir(config_) + "/enroll-request.json)",
          nowMs);
      return;
    case common::RejectReason::UNKNOWN_SENDER:
      setError("the broker does not know this agent's signing key (key id " +
                   common::toHex(identity_->keyId()) +
                   "); ask the city to run samband-broker "
                   "enroll with " +
                   configDir(config_) + "/enroll-request.json",
               nowMs);
      return;
    case common::RejectReason::KEY_MISMATCH:
      setError(
          "the broker says this agent's signing key does not belong to the provider whose "
          "transport key opened the connection; agent.identity is inconsistent with the "
          "enrollment: restore it from backup or enroll again",
          nowMs);
      return;
    case common::RejectReason::REVOKED:
      setError(
          "the city revoked this agent's key; create a new identity (samband-agent init in a "
          "new directory) and have it enrolled; pending reports stay in the outbox",
          nowMs);
      return;
    case common::RejectReason::OVERLOADED:
      setError("the broker is overloaded; the agent resends after [link] ack_timeout_ms", nowMs);
      return;
    case common::RejectReason::OVERSIZED:
    case common::RejectReason::INTERNAL:
      setError("the broker refused seq " + std::to_string(r.seq) + " (" + reason + detail +
                   "); the agent resends after [link] ack_timeout_ms; tell the city if it persists",
               nowMs);
      return;
  }
}

void AgentSession::handleHead(const common::HeadMsg& h, int64_t nowMs) {
  counters_.clockSkewMs = h.serverTime - clock_.nowMs();
  if (h.headSeq < connAckedSeq_) return;  // older than an ack we already have
  // While frames are on the wire their own replies tell more than this head does.
  if (hasInFlight()) return;
  if (rotationAcknowledged_) {
    // The old chain is never realigned now; the head answering the switch heartbeat (sent
    // after every frame on the wire was answered) says what the broker holds under the old key.
    if (switchHeartbeatSent_) switchKey(ChainHead{h.headSeq, h.headHash}, nowMs);
    return;
  }
  applyRealign(outbox_->realign(h.headSeq, h.headHash),
               "the broker's chain is at seq " + std::to_string(h.headSeq), nowMs);
}

void AgentSession::handleCity(const common::CityEnvelopeMsg& city, int64_t nowMs) {
  auto verified = verifyCityMessage(city.envelope, config_.citySignPublic);
  if (!verified) {
    ++counters_.cityRefused;
    // Kept in the inbox with the reason, so the person on duty sees what was refused and why.
    const char* code =
        verified.error().kind == common::ErrorKind::unauthorised ? "forged: " : "malformed: ";
    if (auto stored =
            inbox_->storeRefused(city.envelope, code + verified.error().message, clock_.nowMs());
        !stored) {
      common::logWarn("agent", stored.error().message);
    }
    setError("refused a message relayed as from the city: " + verified.error().message, nowMs,
             ErrorClass::sticky);
    uint64_t suppressed = 0;
    if (logLimiter_.allow(nowMs, &suppressed)) {
      common::logWarn("agent", config_.provider + ": " + verified.error().message);
    }
    return;
  }
  auto id = inbox_->store(*verified, clock_.nowMs());
  if (!id) {
    setError(id.error().message, nowMs);
    return;
  }
  if (*id == 0) return;  // delivered before
  ++counters_.cityMessages;
  InboxEntry entry;
  entry.id = *id;
  entry.kind = cityMessageKind(verified->message);
  entry.ref = cityMessageRef(verified->message);
  entry.envelope = verified->envelope;
  entry.receivedAt = clock_.nowMs();
  common::logInfo(
      "agent", config_.provider + ": received " + entry.kind + " " + entry.ref + " from the city");
  if (cityHandler_ != nullptr) cityHandler_->onCityMessage(*this, entry, verified->message);
}

// ---- sending -------------------------------------------------------------------------------

void AgentSession::refreshRange() {
  auto range = outbox_->pendingRange();
  if (!range) return;
  firstPending_ = range->first;
  lastPending_ = range->second;
  // Nothing pending means nothing in flight; a realign may have moved seqs down.
  if (firstPending_ == 0) cursor_ = 0;
  if (cursor_ < firstPending_) cursor_ = firstPending_;
}

void AgentSession::refreshRotation() {
  auto record = readKeyRotation(*db_);
  if (!record) {
    setError(record.error().message, common::monotonicMs());
    return;
  }
  rotationAcknowledged_ = *record && (*record)->state == RotationState::acknowledged;
}

void AgentSession::switchKey(const ChainHead& oldHead, int64_t nowMs) {
  if (common::Status s = switchToNextKey(config_, *db_, *outbox_, oldHead, clock_.nowMs()); !s) {
    // The old key keeps working; the next switch heartbeat tries again.
    setError("cannot switch to the new key: " + s.error().message, nowMs, ErrorClass::sticky);
    common::logWarn("agent",
                    config_.provider + ": cannot switch to the new key: " + s.error().message);
    switchHeartbeatSent_ = false;
    return;
  }
  restartWanted_ = true;
  rotationAcknowledged_ = false;
  sent_.clear();
  common::logInfo("agent", config_.provider + ": reconnecting with the new key");
}

void AgentSession::resendFromFirstUnacked(int64_t nowMs) {
  ++epoch_;
  if (hasInFlight()) ++counters_.resends;
  cursor_ = firstPending_;
  waitingSinceMs_ = nowMs;
  pump(nowMs);
}

void AgentSession::pump(int64_t nowMs) {
  if (!link_->isConnected() || restartWanted_) return;
  if (rotationAcknowledged_) {
    // Nothing more under the old key: what is pending will be re-signed by the new one.
    if (!hasInFlight() && !switchHeartbeatSent_) sendHeartbeat(nowMs);
    return;
  }
  if (firstPending_ == 0) return;
  sendBlocked_ = false;
  if (cursor_ < firstPending_) cursor_ = firstPending_;
  const uint64_t window = static_cast<uint64_t>(config_.window);
  while (cursor_ <= lastPending_ && cursor_ - firstPending_ < window) {
    size_t room = static_cast<size_t>(window - (cursor_ - firstPending_));
    auto rows = outbox_->pendingFrom(cursor_, std::min<size_t>(room, 64));
    if (!rows) {
      setError(rows.error().message, nowMs);
      return;
    }
    if (rows->empty()) break;
    for (const auto& row : *rows) {
      Link::SendResult r = link_->send(row.envelope);
      if (r != Link::SendResult::sent) {
        sendBlocked_ = r == Link::SendResult::wouldBlock;
        return;
      }
      if (!hasInFlight()) waitingSinceMs_ = nowMs;
      ++counters_.framesSent;
      sent_.push_back({row.seq, row.id, epoch_});
      if (sent_.size() > kMaxSentRecords) sent_.pop_front();
      cursor_ = row.seq + 1;
    }
  }
}

void AgentSession::sendHeartbeat(int64_t nowMs) {
  nextHeartbeatMs_ = nowMs + config_.heartbeatIntervalFor(level_);
  if (restartWanted_) return;
  if (rotationAcknowledged_ && !hasInFlight()) switchHeartbeatSent_ = true;
  auto head = outbox_->head();
  if (!head) {
    setError(head.error().message, nowMs);
    return;
  }
  common::Message m;
  m.senderId = identity_->id();
  m.keyId = identity_->keyId();
  m.seq = 0;
  // The broker believes a heartbeat only if it is newer than the last one.
  m.sentAt = std::max(clock_.nowMs(), lastHeartbeatSentAt_ + 1);
  lastHeartbeatSentAt_ = m.sentAt;
  m.mode = common::Mode::ACTUAL;
  uint64_t pending = firstPending_ == 0 ? 0 : lastPending_ - firstPending_ + 1;
  m.payload = common::HeartbeatMsg{
      head->seq, static_cast<uint32_t>(std::min<uint64_t>(pending, UINT32_MAX)), level_};
  common::SealedFrame f = common::seal(*identity_, m);
  if (link_->send(f.envelope) == Link::SendResult::sent) ++counters_.heartbeatsSent;
}

common::Result<std::vector<QueuedMessage>> AgentSession::queue(
    const std::vector<OutboxDraft>& drafts, int64_t nowMs) {
  auto queued = outbox_->append(drafts, clock_.nowMs());
  if (!queued) return queued;
  refreshRange();
  pump(nowMs);
  return queued;
}

void AgentSession::setLevel(common::ReadinessLevel level, int64_t nowMs) {
  if (level == common::ReadinessLevel::UNCHANGED || level == level_) return;
  level_ = level;
  state_.level = common::levelName(level_);
  stateDirty_ = true;
  nextHeartbeatMs_ = std::min(nextHeartbeatMs_, nowMs + config_.heartbeatIntervalFor(level_));
}

// ---- timers --------------------------------------------------------------------------------

void AgentSession::onTimer(int64_t nowMs) {
  if (shutDown_) return;
  link_->onTimer(nowMs);
  if (nowMs >= nextOutboxPollMs_) {
    nextOutboxPollMs_ = nowMs + options_.outboxPollMs;
    auto version = outbox_->dataVersion();
    if (version && *version != lastDataVersion_) {
      lastDataVersion_ = *version;
      refreshRange();
      pump(nowMs);
    }
  }
  if (link_->isConnected()) {
    if (nowMs >= nextHeartbeatMs_) sendHeartbeat(nowMs);
    if (hasInFlight() && nowMs - waitingSinceMs_ >= config_.ackTimeoutMs) {
      uint64_t suppressed = 0;
      if (logLimiter_.allow(nowMs, &suppressed)) {
        common::logInfo("agent", config_.provider + ": no ack for " +
                                     std::to_string(config_.ackTimeoutMs) +
                                     " ms; resending from seq " + std::to_string(firstPending_));
      }
      sent_.clear();
      resendFromFirstUnacked(nowMs);
    } else if (sendBlocked_) {
      pump(nowMs);
    }
  }
  writeState(nowMs, false);
}

int64_t AgentSession::nextWakeMs() const {
  if (shutDown_) return INT64_MAX;
  int64_t wake = std::min({link_->nextWakeMs(), nextOutboxPollMs_,
                           options_.recordLinkState ? nextStateWriteMs() : INT64_MAX});
  if (link_->isConnected()) {
    wake = std::min(wake, nextHeartbeatMs_);
    if (hasInFlight()) wake = std::min(wake, waitingSinceMs_ + config_.ackTimeoutMs);
    if (sendBlocked_) wake = std::min(wake, nextOutboxPollMs_);
  }
  return wake;
}

// ---- state for `status` --------------------------------------------------------------------

int64_t AgentSession::stateRefreshMs() const {
  return std::min<int64_t>(config_.heartbeatIntervalFor(level_), 10000);
}

void AgentSession::setError(const std::string& message, int64_t nowMs, ErrorClass errorClass) {
  (void)nowMs;
  errorClass_ = errorClass;
  if (state_.lastError && *state_.lastError == message) return;
  state_.lastError = message;
  state_.lastErrorAt = clock_.nowMs();
  stateDirty_ = true;
}

void AgentSession::clearError(ErrorClass errorClass) {
  if (!state_.lastError || errorClass_ != errorClass) return;
  state_.lastError.reset();
  stateDirty_ = true;
}

void AgentSession::writeState(int64_t nowMs, bool force) {
  if (!options_.recordLinkState) return;
  if (!force && nowMs < nextStateWriteMs()) return;
  state_.updatedAt = clock_.nowMs();
  state_.staleAfterMs = kStaleAfterRefreshes * stateRefreshMs() + 2000;
  if (common::Status s = stateStore_->write(state_); !s) {
    uint64_t suppressed = 0;
    if (logLimiter_.allow(nowMs, &suppressed)) common::logWarn("agent", s.error().message);
  }
  stateDirty_ = false;
  lastStateWriteMs_ = nowMs;
}

int64_t AgentSession::nextStateWriteMs() const {
  // Changes are written at most once a second (acks come by the hundred); otherwise the row is
  // refreshed every refresh period so `status` can tell a live agent from a dead one.
  return lastStateWriteMs_ + (stateDirty_ ? 1000 : stateRefreshMs());
}

}  // namespace samband::agent
