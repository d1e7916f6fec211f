// The agent's protocol engine: one function per event of the table "Agent session" in
// docs/protocol.md; the state changes are in agent/session_state.cpp, the send window's
// bookkeeping in agent/send_window.cpp, the status row in session_status.cpp, the texts for the
// person on duty in session_messages.cpp. About 540 lines: what is left is the events themselves.
#include "agent/session.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <utility>

#include "agent/agent_identity.h"
#include "agent/city_message.h"
#include "agent/database.h"
#include "agent/key_rotation.h"
#include "agent/outbox_batch.h"
#include "agent/receipt_store.h"
#include "agent/session_messages.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

using common::Bytes;
using common::Result;

// The status row is rewritten with every heartbeat; with no heartbeat going out (not connected)
// it is refreshed every heartbeat interval, but at least this often.
constexpr int64_t kLongestStateRefreshMs = 60'000;
// ZeroMQ's keepalive PING interval follows the heartbeat interval up to this.
constexpr int64_t kLongestKeepaliveMs = 30'000;

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
  auto counter = HeartbeatCounter::start(*session->db_);
  if (!counter) return counter.error();
  session->heartbeatCounter_.emplace(*counter);
  session->refreshRange();
  session->refreshRotation();
  auto cityKeys = CityKeys::open(session->config_.citySignPublic,
                                 CityKeys::pathFor(session->config_.outboxPath));
  if (!cityKeys) return cityKeys.error();
  session->cityKeys_ = std::move(cityKeys).value();
  auto signal = session->citySignalStore_->read();
  if (!signal) return signal.error();
  session->citySignal_ = std::move(signal).value();
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
      db_(std::move(db)),
      brokers_(config_.brokerList()),
      failover_(brokers_.size(),
                FailoverSettings{config_.failoverAfterMs, config_.failbackJitterMs}, options_.seed),
      jitter_(options_.seed ^ 0x2545f4914f6cdd1dULL),
      status_(*db_, clock_, logLimiter_, options_.recordLinkState),
      window_(static_cast<uint64_t>(config_.window)) {
  outbox_ = std::make_unique<Outbox>(*db_, *identity_);
  inbox_ = std::make_unique<Inbox>(*db_);
  citySignalStore_ = std::make_unique<CitySignalStore>(*db_);
  link_ = makeLink(0, false);
  status_.row().broker = brokers_[0].endpoint;
  for (const auto& b : brokers_) {
    BrokerReach reach;
    reach.endpoint = b.endpoint;
    status_.row().brokers.push_back(std::move(reach));
  }
  status_.row().running = true;
  status_.row().pid = static_cast<int>(::getpid());
  status_.row().level = common::levelName(level_);
}

AgentSession::~AgentSession() { shutdown(); }

std::unique_ptr<Link> AgentSession::makeLink(size_t index, bool probe) {
  LinkSettings ls;
  ls.endpoint = brokers_[index].endpoint;
  ls.serverKey = brokers_[index].curvePublic;
  ls.clientPublic = identity_->curvePublic();
  ls.clientSecret = identity_->curveSecret();
  ls.reconnectMinMs = config_.reconnectMinMs;
  ls.reconnectMaxMs = config_.reconnectMaxMs;
  if (probe) {
    // A probe needs no haste: it only decides when to return to the preferred broker.
    ls.reconnectMinMs = std::min(config_.reconnectMinMs * 5, config_.reconnectMaxMs);
  }
  ls.handshakeTimeoutMs = std::max<int64_t>(config_.ackTimeoutMs, 1000);
  // ZeroMQ's PING goes at the heartbeat's pace, so it adds no wake-ups of its own beyond one
  // round trip per interval; a silent broker is still noticed within an interval plus 10 s
  // (40 s with the defaults, as with the former 10 s PING and 30 s timeout).
  ls.keepaliveMs = std::clamp<int64_t>(config_.heartbeatIntervalMs, 1000, kLongestKeepaliveMs);
  ls.keepaliveTimeoutMs = std::clamp<int64_t>(ls.keepaliveMs, 3000, 10000);
  ls.sendHighWater = static_cast<int>(std::max<int64_t>(1000, config_.window * 2 + 16));
  LinkListener& listener = probe ? static_cast<LinkListener&>(probeListener_) : *this;
  return std::make_unique<Link>(context_, ls, listener, options_.seed + index * 7919 + probe);
}

std::array<zmq::pollitem_t, AgentSession::kPollItems> AgentSession::pollItems() {
  std::array<zmq::pollitem_t, kPollItems> items{};
  auto main = link_->pollItems();
  std::copy(main.begin(), main.end(), items.begin());
  if (probe_) {
    auto p = probe_->pollItems();
    std::copy(p.begin(), p.end(), items.begin() + Link::kPollItems);
  } else {
    for (size_t i = Link::kPollItems; i < kPollItems; ++i) {
      items[i].socket = nullptr;
      items[i].fd = -1;  // poll() ignores negative descriptors
      items[i].events = 0;
      items[i].revents = 0;
    }
  }
  return items;
}

// ---- failover ------------------------------------------------------------------------------

void AgentSession::noteReach(size_t index, bool up, const char* failure) {
  if (index >= status_.row().brokers.size()) return;
  BrokerReach& r = status_.row().brokers[index];
  r.reachable = up;
  if (up) {
    r.lastUpAt = clock_.nowMs();
  } else {
    r.lastFailure = failure;
    r.lastFailureAt = clock_.nowMs();
  }
  status_.markChanged();
}

void AgentSession::onProbeUp(int64_t nowMs) {
  noteReach(0, true, nullptr);
  probeFinished_ = true;  // the handshake is all we wanted; closed once the callback returns
  const bool scheduled = !failover_.failbackAtMs();
  failover_.onPreferredReachable(nowMs);
  if (scheduled && failover_.failbackAtMs()) {
    common::logInfo("agent", config_.provider + ": the preferred broker at " +
                                 brokers_[0].endpoint + " answers again; returning to it in " +
                                 std::to_string((*failover_.failbackAtMs() - nowMs) / 1000) + " s");
  }
}

void AgentSession::onProbeDown(int64_t /*nowMs*/, LinkFailure failure) {
  noteReach(0, false, linkFailureName(failure));
  failover_.onPreferredUnreachable();
}

void AgentSession::moveTo(size_t index, int64_t nowMs, bool failback) {
  const std::string from = link_->endpoint();
  const bool wasConnected = link_->isConnected();
  link_->stop();  // reports nothing
  if (wasConnected) {
    machine_.onLinkDown();
    status_.row().connected = false;
    window_.onDisconnect();
  }
  probe_.reset();
  probeFinished_ = false;
  failover_.moveTo(index);
  link_ = makeLink(index, false);
  if (!failback) {
    // Spread the agents that lost the same broker over a short window at the next one.
    std::uniform_int_distribution<int64_t> pick(0, config_.reconnectMinMs * 2);
    link_->delayFirstAttempt(nowMs + pick(jitter_));
    ++counters_.failovers;
    ++status_.row().failovers;
  } else {
    ++counters_.failbacks;
    ++status_.row().failbacks;
  }
  status_.row().broker = brokers_[index].endpoint;
  common::logWarn("agent",
                  config_.provider + ": " +
                      (failback ? "returning to the preferred broker at " +
                                      brokers_[index].endpoint + " (was on " + from + ")"
                                : "the broker at " + from + " is unreachable; failing over to " +
                                      brokers_[index].endpoint),
                  {config_.provider, failback ? "failback" : "failover"});
  writeState(nowMs, true);
}

void AgentSession::serviceFailover(int64_t nowMs) {
  if (machine_.state() == SessionState::stopped) return;
  if (pendingMove_) {
    const size_t to = *pendingMove_;
    pendingMove_.reset();
    moveTo(to, nowMs, false);
  }
  if (probeFinished_) {
    probe_.reset();
    probeFinished_ = false;
  }
  if (failover_.isFailbackDue(nowMs)) {
    moveTo(0, nowMs, true);
    return;
  }
  if (!failover_.wantsProbe()) {
    probe_.reset();
    return;
  }
  if (!probe_) probe_ = makeLink(0, true);
  probe_->onTimer(nowMs);
  if (probeFinished_) {
    probe_.reset();
    probeFinished_ = false;
  }
}

bool AgentSession::isBehindAcknowledged(uint64_t headSeq, int64_t nowMs) {
  if (brokers_.size() < 2) return false;
  auto acked = outbox_->acked();
  if (!acked || headSeq >= acked->seq) return false;
  ++counters_.behindHolds;
  holdingForReplication_ = true;
  setError("the broker at " + link_->endpoint() + " holds this agent's messages only up to seq " +
               std::to_string(headSeq) + ", but seq " + std::to_string(acked->seq) +
               " was acknowledged (by another broker of the city); waiting for it to catch up "
               "by replication. Nothing is lost: the messages after it stay in the outbox",
           nowMs);
  return true;
}

void AgentSession::shutdown() {
  if (machine_.state() == SessionState::stopped) return;
  machine_.onShutdown();
  link_->stop();
  probe_.reset();
  status_.row().running = false;
  status_.row().connected = false;
  writeState(common::monotonicMs(), true);
}

// ---- link events ---------------------------------------------------------------------------

void AgentSession::onLinkUp(int64_t nowMs) {
  machine_.onLinkUp();
  ++counters_.connects;
  common::logInfo("agent", config_.provider + ": connected to the broker at " + link_->endpoint());
  failover_.onUp();
  noteReach(failover_.current(), true, nullptr);
  status_.row().connected = true;
  status_.row().lastConnectedAt = clock_.nowMs();
  clearError(ErrorClass::link);
  pendingAck_ = 0;
  window_.onConnect();
  refreshRange();  // before the heartbeat, which reports how many are pending
  sendHeartbeat(nowMs);
  resendFromFirstUnacked(nowMs);
  writeState(nowMs, true);
}

void AgentSession::onLinkDown(int64_t nowMs, LinkFailure failure, const std::string& detail) {
  machine_.onLinkDown();
  bool wasConnected = status_.row().connected;
  status_.row().connected = false;
  window_.onDisconnect();
  const std::string message = linkFailureMessage(config_, link_->endpoint(), failure);
  noteReach(failover_.current(), false, linkFailureName(failure));
  // Moved after the Link's callback returns (serviceFailover): the Link must not be destroyed
  // inside its own callback.
  if (failover_.onFailure(nowMs)) pendingMove_ = failover_.next();
  // Log each new kind of failure once, not every retry of the backoff.
  if (wasConnected || !status_.row().lastError || *status_.row().lastError != message) {
    common::logWarn("agent", config_.provider + ": " + message + " (" + detail + ")",
                    {config_.provider, linkFailureName(failure)});
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
    if (!ack->receipt.empty()) {
      // The city's proof that it holds this head; kept once the ack is applied.
      auto kept =
          keepReceipt(*db_, ack->receipt, cityKeys_->keyring(), config_.provider, clock_.nowMs());
      if (!kept) common::logWarn("agent", "receipt not kept: " + kept.error().message);
    }
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
  if (probe_) probe_->onReadable(nowMs);
  flushAcks(nowMs);
  serviceFailover(nowMs);
}

// ---- acks, rejects, heads ------------------------------------------------------------------

void AgentSession::flushAcks(int64_t nowMs) {
  if (pendingAck_ == 0) return;
  uint64_t seq = pendingAck_;
  pendingAck_ = 0;
  // Acks carry no key id. Once the outbox is on the new key, an ack still on the wire belongs to
  // an old-key frame and must not delete the new key's rows of the same numbers (never sent).
  if (machine_.state() == SessionState::switched) {
    ++counters_.acksIgnoredAfterSwitch;
    return;
  }
  auto deleted = outbox_->ack(seq);
  if (!deleted) {
    setError(deleted.error().message, nowMs);
    return;
  }
  window_.onAck(seq, nowMs);
  if (*deleted > 0) {
    // Only the old key's rows can acknowledge a rotation (connecting: a frame read before the
    // socket monitor reported the handshake).
    if (machine_.state() == SessionState::streaming ||
        machine_.state() == SessionState::connecting) {
      refreshRotation();
      if (machine_.state() == SessionState::draining ||
          machine_.state() == SessionState::reconnectingToSwitch) {
        common::logInfo("agent", config_.provider +
                                     ": the broker acknowledged the key rotation; switching to "
                                     "the new key once nothing is in flight");
      }
    }
    status_.row().lastAckAt = clock_.nowMs();
    // A problem that is not about the connection is over once the broker stores frames again.
    clearError(ErrorClass::transient);
    status_.markChanged();
  }
  refreshRange();
  pump(nowMs);
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
  bool headIsStale = window_.isOlderThanAcked(r.headSeq);

  if (r.seq == 0 && (r.reason == common::RejectReason::MALFORMED ||
                     r.reason == common::RejectReason::OVERSIZED)) {
    if (batchesOnConnection_ && !batchesRefused_) {
      // A broker older than batches (issue 16) reads a batch frame as malformed: send single
      // envelopes from now on (this session) and start over from the first unacknowledged row.
      batchesRefused_ = true;
      common::logInfo(
          "agent",
          config_.provider + ": the broker does not take batches; sending reports one by one");
      resendFromFirstUnacked(nowMs);
      return;
    }
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
  std::optional<SentFrame> frame = window_.takeSent(r.seq);
  switch (r.reason) {
    case common::RejectReason::REPLAY:
    case common::RejectReason::OUT_OF_ORDER: {
      if (!frame || frame->epoch != window_.epoch() || headIsStale) return;  // answered already
      if (isBehindAcknowledged(r.headSeq, nowMs)) return;
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
    case common::RejectReason::CLOCK_SKEW:
    case common::RejectReason::PERSONAL_DATA:
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
      const std::string advice = deadLetterAdvice(config_, r.reason);
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
    case common::RejectReason::UNKNOWN_SENDER:
    case common::RejectReason::KEY_MISMATCH:
    case common::RejectReason::REVOKED:
    case common::RejectReason::OVERLOADED:
    case common::RejectReason::OVERSIZED:
    case common::RejectReason::INTERNAL:
      setError(refusalMessage(config_, identity_->keyId(), r), nowMs);
      return;
  }
}

void AgentSession::handleHead(const common::HeadMsg& h, int64_t nowMs) {
  counters_.clockSkewMs = h.serverTime - clock_.nowMs();
  // `status` shows our offset (the other sign); rewritten early only when it moved a second.
  const int64_t offset = -*counters_.clockSkewMs;
  auto& shown = status_.row().clockOffsetMs;
  if (!shown || std::abs(*shown - offset) >= 1000) status_.markChanged();
  shown = offset;
  if (!h.beacon.empty()) handleBeacon(h.beacon, nowMs);
  if (window_.isOlderThanAcked(h.headSeq)) return;  // older than an ack we already have
  // While frames are on the wire their own replies tell more than this head does.
  if (window_.hasInFlight()) return;
  switch (machine_.state()) {
    case SessionState::streaming:
    case SessionState::connecting:  // read before the socket monitor reported the handshake
    case SessionState::switched:    // the outbox, now on the new key, refuses the old chain's head
    case SessionState::stopped:     // no socket: cannot happen
      if (isBehindAcknowledged(h.headSeq, nowMs)) return;
      if (std::exchange(holdingForReplication_, false)) {
        // The broker has caught up: what it refused while behind goes out again now, not at
        // the next ack timeout.
        common::logInfo("agent", config_.provider + ": the broker at " + link_->endpoint() +
                                     " has caught up (seq " + std::to_string(h.headSeq) + ")");
        clearError(ErrorClass::transient);
        auto outcome = outbox_->realign(h.headSeq, h.headHash);
        if (outcome && !outcome->changed) {
          resendFromFirstUnacked(nowMs);
          return;
        }
        applyRealign(outcome, "the broker's chain is at seq " + std::to_string(h.headSeq), nowMs);
        return;
      }
      applyRealign(outbox_->realign(h.headSeq, h.headHash),
                   "the broker's chain is at seq " + std::to_string(h.headSeq), nowMs);
      return;
    case SessionState::draining:
    case SessionState::reconnectingToSwitch:
      return;  // the old chain is never realigned now; wait for the switch heartbeat's head
    case SessionState::switchingKey:
      // The head answering the switch heartbeat (sent after every frame on the wire was
      // answered) says what the broker holds under the old key.
      switchKey(ChainHead{h.headSeq, h.headHash}, nowMs);
      return;
  }
}

void AgentSession::handleBeacon(const common::Bytes& envelope, int64_t nowMs) {
  auto beacon = verifyTimeBeacon(envelope, cityKeys_->keyring(), clock_.nowMs());
  std::string refusal;
  if (!beacon) {
    refusal = beacon.error().message;
  } else {
    CitySignalRow row = citySignal_;
    switch (noteBeacon(row, *beacon, clock_.nowMs())) {
      case BeaconOutcome::same:
        return;
      case BeaconOutcome::older:
        refusal =
            "a time beacon relayed as from the city is older than the newest one this agent "
            "holds (a rollback); it was refused: call the city's duty officer";
        break;
      case BeaconOutcome::newer:
        ++counters_.beacons;
        citySignal_ = row;
        if (auto s = citySignalStore_->write(citySignal_); !s) {
          uint64_t suppressed = 0;
          if (logLimiter_.allow(nowMs, &suppressed)) common::logWarn("agent", s.error().message);
        }
        return;
    }
  }
  ++counters_.beaconsRefused;
  setError(refusal, nowMs, ErrorClass::sticky);
  uint64_t suppressed = 0;
  if (logLimiter_.allow(nowMs, &suppressed)) {
    common::logWarn("agent", config_.provider + ": " + refusal);
  }
}

void AgentSession::noteCitySigned(int64_t signedAt) {
  if (!noteSigned(citySignal_, signedAt, clock_.nowMs())) return;
  if (auto s = citySignalStore_->write(citySignal_); !s) {
    common::logWarn("agent", s.error().message);
  }
}

void AgentSession::handleCityKey(const common::CityKeyMsg& statement, int64_t nowMs) {
  auto learned = cityKeys_->learn(statement);
  if (learned) {
    if (*learned) common::logInfo("agent", config_.provider + ": learned a city key statement");
    return;
  }
  // A statement the root did not sign teaches nothing; it is not an error of this agent.
  ++counters_.cityRefused;
  uint64_t suppressed = 0;
  if (logLimiter_.allow(nowMs, &suppressed)) {
    common::logWarn("agent", config_.provider + ": " + learned.error().message);
  }
}

void AgentSession::handleCity(const common::CityEnvelopeMsg& city, int64_t nowMs) {
  if (auto statement = cityKeyRecordIn(city.envelope)) {
    handleCityKey(*statement, nowMs);
    return;
  }
  auto verified = verifyCityMessage(city.envelope, cityKeys_->keyring(), clock_.nowMs());
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
  noteCitySigned(verified->message.sentAt);
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
  window_.setPending(range->first, range->second);
}

void AgentSession::refreshRotation() {
  auto record = readKeyRotation(*db_);
  if (!record) {
    setError(record.error().message, common::monotonicMs());
    return;
  }
  if (*record && (*record)->state == RotationState::acknowledged) machine_.onRotationAcknowledged();
}

void AgentSession::switchKey(const ChainHead& oldHead, int64_t nowMs) {
  if (common::Status s = switchToNextKey(config_, *db_, *outbox_, oldHead, clock_.nowMs()); !s) {
    // The old key keeps working; the next switch heartbeat tries again.
    setError("cannot switch to the new key: " + s.error().message, nowMs, ErrorClass::sticky);
    common::logWarn("agent",
                    config_.provider + ": cannot switch to the new key: " + s.error().message);
    machine_.onSwitchFailed();
    return;
  }
  machine_.onSwitchCompleted();
  window_.forgetSent();
  common::logInfo("agent", config_.provider + ": reconnecting with the new key");
}

void AgentSession::resendFromFirstUnacked(int64_t nowMs) {
  if (window_.restartFromFirstUnacked(nowMs)) ++counters_.resends;
  pump(nowMs);
}

void AgentSession::pump(int64_t nowMs) {
  if (!link_->isConnected()) return;
  switch (machine_.state()) {
    case SessionState::streaming:
      break;
    case SessionState::draining:
      // Nothing more under the old key: what is pending will be re-signed by the new one.
      if (!window_.hasInFlight()) sendHeartbeat(nowMs);
      return;
    case SessionState::switchingKey:
    case SessionState::switched:
      return;
    case SessionState::connecting:
    case SessionState::reconnectingToSwitch:
    case SessionState::stopped:
      return;  // not connected
  }
  if (window_.firstPending() == 0) return;
  window_.beginRound();
  while (uint64_t room = window_.room()) {
    auto rows =
        outbox_->pendingFrom(window_.cursor(), static_cast<size_t>(std::min<uint64_t>(room, 64)));
    if (!rows) {
      setError(rows.error().message, nowMs);
      return;
    }
    if (rows->empty()) break;
    for (size_t i = 0; i < rows->size();) {
      // More than one report pending: one signed batch for a run of them (issue 16).
      OutboxBatch batch;
      if (!batchesRefused_) batch = batchFrom(*identity_, *rows, i);
      Link::SendResult r = link_->send(batch.frame.empty() ? (*rows)[i].envelope : batch.frame);
      if (r != Link::SendResult::sent) {
        window_.setBlocked(r == Link::SendResult::wouldBlock);
        return;
      }
      if (!batch.frame.empty()) batchesOnConnection_ = true;
      for (size_t k = i; k < i + batch.rows; ++k) {
        ++counters_.framesSent;
        window_.recordSent((*rows)[k].seq, (*rows)[k].id, nowMs);
      }
      i += batch.rows;
    }
  }
}

void AgentSession::sendHeartbeat(int64_t nowMs) {
  nextHeartbeatMs_ = nowMs + config_.heartbeatIntervalFor(level_);
  if (machine_.state() == SessionState::switched) return;
  if ((machine_.state() == SessionState::draining ||
       machine_.state() == SessionState::switchingKey) &&
      !window_.hasInFlight()) {
    machine_.onSwitchHeartbeatSent();
  }
  auto head = outbox_->head();
  if (!head) {
    setError(head.error().message, nowMs);
    return;
  }
  common::Message m;
  m.senderId = identity_->id();
  m.keyId = identity_->keyId();
  m.seq = 0;
  // The broker judges freshness by the counter, so sentAt is our clock as it is: forcing it to
  // rise would carry one wrong reading (a clock stepped to year 9999) into every later heartbeat
  // and hide the offset the broker measures from it.
  m.sentAt = clock_.nowMs();
  m.mode = common::Mode::ACTUAL;
  uint64_t pending = window_.pendingCount();
  m.payload = common::HeartbeatMsg{head->seq,
                                   static_cast<uint32_t>(std::min<uint64_t>(pending, UINT32_MAX)),
                                   level_, heartbeatCounter_->next()};
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
  status_.row().level = common::levelName(level_);
  status_.markChanged();
  nextHeartbeatMs_ = std::min(nextHeartbeatMs_, nowMs + config_.heartbeatIntervalFor(level_));
}

// ---- timers --------------------------------------------------------------------------------

void AgentSession::onTimer(int64_t nowMs) {
  if (machine_.state() == SessionState::stopped) return;
  link_->onTimer(nowMs);
  serviceFailover(nowMs);
  if (nowMs >= nextOutboxPollMs_) {
    nextOutboxPollMs_ = nowMs + options_.outboxPollMs;
    auto version = outbox_->dataVersion();
    if (version && *version != lastDataVersion_) {
      lastDataVersion_ = *version;
      refreshRange();
      pump(nowMs);
    }
  }
  bool beat = false;
  if (link_->isConnected()) {
    if (nowMs >= nextHeartbeatMs_) {
      sendHeartbeat(nowMs);
      beat = true;
    }
    if (window_.isAckOverdue(nowMs, config_.ackTimeoutMs)) {
      uint64_t suppressed = 0;
      if (logLimiter_.allow(nowMs, &suppressed)) {
        common::logInfo("agent",
                        config_.provider + ": no ack for " + std::to_string(config_.ackTimeoutMs) +
                            " ms; resending from seq " + std::to_string(window_.firstPending()));
      }
      window_.forgetSent();
      resendFromFirstUnacked(nowMs);
    } else if (window_.isBlocked()) {
      pump(nowMs);
    }
  }
  // The status row is refreshed with each heartbeat, in the same wake-up (and within a second of
  // a change), so an idle agent wakes for its heartbeat alone.
  writeState(nowMs, beat);
}

int64_t AgentSession::nextWakeMs() const {
  if (machine_.state() == SessionState::stopped) return INT64_MAX;
  int64_t wake =
      std::min({link_->nextWakeMs(), nextOutboxPollMs_, status_.nextWriteMs(stateRefreshMs())});
  if (pendingMove_ || probeFinished_) return 0;
  if (probe_) wake = std::min(wake, probe_->nextWakeMs());
  if (failover_.failbackAtMs()) wake = std::min(wake, *failover_.failbackAtMs());
  if (failover_.wantsProbe() && !probe_) return 0;
  if (link_->isConnected()) {
    wake = std::min(wake, nextHeartbeatMs_);
    if (window_.hasInFlight()) wake = std::min(wake, window_.ackDeadlineMs(config_.ackTimeoutMs));
    if (window_.isBlocked()) wake = std::min(wake, nextOutboxPollMs_);
  }
  return wake;
}

// ---- state for `status` --------------------------------------------------------------------

int64_t AgentSession::stateRefreshMs() const {
  // While connected each heartbeat rewrites the row, so this period only comes due when no
  // heartbeat goes out (not connected, or a key switch).
  return std::min<int64_t>(config_.heartbeatIntervalFor(level_), kLongestStateRefreshMs);
}

}  // namespace samband::agent
