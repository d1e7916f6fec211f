// AgentSession: one agent's whole protocol engine (docs/protocol.md, "Agent behaviour"): it owns
// the link to the broker, the outbox, the inbox and the link-state row, sends heartbeats and
// outbox rows in seq order within the window, applies acks, realigns on the broker's head,
// dead-letters permanently refused rows and verifies city messages.
//
// The contract for drivers (`samband-agent run` drives one; the simulator in tools/ drives many
// from one thread with one zmq::poll):
//   - Everything happens on the driving thread; no call blocks on the network. SQLite writes
//     may wait up to the busy timeout when a `report` holds the file.
//   - Loop: collect pollItems() of every session, zmq::poll until the earliest nextWakeMs(), then
//     call onReadable(now) on each session any of whose items has ZMQ_POLLIN, and onTimer(now)
//     on each session whose nextWakeMs() <= now (calling it early is harmless).
//   - `now` is monotonic milliseconds (common::monotonicMs()); stored timestamps and sentAt use
//     the wall clock given at open().
//   - The zmq::context_t is shared and must outlive every session. Sessions are not copyable
//     and must not be moved between threads while in use.
//   - The poll items change when the link reconnects: fetch them again every iteration.
//   - shutdown() (also run by the destructor) closes the socket and records a clean stop.
//   - wantsRestart(): the session switched to a rotated key (agent/key_rotation.h) and sends
//     nothing more; the driver must destroy it and open a new one, which loads the new key.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <zmq.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/broker_failover.h"
#include "agent/city_keys.h"
#include "agent/city_signal.h"
#include "agent/heartbeat_counter.h"
#include "agent/inbox.h"
#include "agent/link.h"
#include "agent/link_state.h"
#include "agent/outbox.h"
#include "agent/send_window.h"
#include "agent/session_state.h"
#include "agent/session_status.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/log.h"
#include "common/result.h"

namespace samband::agent {

class AgentSession;

// The hook for city messages: the session verifies and stores them in the inbox, then calls
// this (agent/city_actions.h answers checks and applies directives). Messages that fail
// verification never reach it; the session records them in the inbox as refused.
class CityMessageHandler {
 public:
  virtual ~CityMessageHandler() = default;
  // Called once per newly stored, verified city message, on the session's thread.
  virtual void onCityMessage(AgentSession& session, const InboxEntry& entry,
                             const common::Message& message) = 0;
};

// Counters for logs, tests and the simulator's metrics.
struct SessionCounters {
  uint64_t connects = 0;
  uint64_t framesSent = 0;  // outbox frames put on the wire (resends included)
  uint64_t heartbeatsSent = 0;
  uint64_t acks = 0;                    // ack downlinks received
  uint64_t acksIgnoredAfterSwitch = 0;  // old-key acks read after the outbox moved on
  uint64_t rejects = 0;
  uint64_t resends = 0;   // times sending restarted from the first unacknowledged row
  uint64_t realigns = 0;  // realigns that changed the outbox
  uint64_t deadLetters = 0;
  uint64_t cityMessages = 0;           // verified and newly stored
  uint64_t cityRefused = 0;            // not signed by the city key, or malformed
  uint64_t badDownlinks = 0;           // downlinks that did not decode
  uint64_t beacons = 0;                // newer city time beacons verified
  uint64_t beaconsRefused = 0;         // not signed by the city key, malformed, or rolled back
  std::optional<int64_t> clockSkewMs;  // broker time minus ours, from the last head reply
  uint64_t failovers = 0;              // moves to the next broker after the current one failed
  uint64_t failbacks = 0;              // returns to the preferred broker
  uint64_t behindHolds = 0;  // heads below our acknowledged seq not followed (docs/agent.md)
};

struct SessionOptions {
  uint64_t seed = 0;            // jitter seed; give each session its own
  int64_t outboxPollMs = 200;   // how often to look for rows queued by another process
  bool recordLinkState = true;  // write the link_state row for `status`
};

class AgentSession : private LinkListener {
 public:
  // The link to the current broker and, on a standby, the probe of the preferred one.
  static constexpr size_t kPollItems = 2 * Link::kPollItems;

  // Loads the identity (must be mode 0600 and belong to config.provider), opens the outbox and
  // records "running". The first connection attempt happens at the first onTimer.
  static common::Result<std::unique_ptr<AgentSession>> open(zmq::context_t& context,
                                                            const AgentConfig& config,
                                                            const common::Clock& clock,
                                                            SessionOptions options);
  ~AgentSession() override;
  AgentSession(const AgentSession&) = delete;
  AgentSession& operator=(const AgentSession&) = delete;

  std::array<zmq::pollitem_t, kPollItems> pollItems();
  void onReadable(int64_t nowMs);
  void onTimer(int64_t nowMs);
  int64_t nextWakeMs() const;
  // Looks for rows queued by another process at the next onTimer(), whatever outboxPollMs says
  // (the daemon calls it when the outbox's files change).
  void pollOutboxSoon() { nextOutboxPollMs_ = 0; }

  // Queues messages (as `samband-agent report` does) and sends them at once when connected.
  common::Result<std::vector<QueuedMessage>> queue(const std::vector<OutboxDraft>& drafts,
                                                   int64_t nowMs);
  // The readiness level applied to heartbeats (set by city directives in a later issue).
  void setLevel(common::ReadinessLevel level, int64_t nowMs);
  void setCityMessageHandler(CityMessageHandler* handler) { cityHandler_ = handler; }

  bool isConnected() const { return link_->isConnected(); }
  // The broker the session sends to now (an endpoint of config().brokerList()), and its index
  // (0: the preferred one).
  const std::string& currentBroker() const { return link_->endpoint(); }
  size_t currentBrokerIndex() const { return failover_.current(); }
  // The protocol state (docs/protocol.md, "Agent session").
  SessionState state() const { return machine_.state(); }
  // Called after every state change, on the session's thread (tests record the path).
  void setStateObserver(SessionStateMachine::Observer observer) {
    machine_.setObserver(std::move(observer));
  }
  bool wantsRestart() const { return machine_.state() == SessionState::switched; }
  const std::optional<std::string>& lastError() const { return status_.row().lastError; }
  const SessionCounters& counters() const { return counters_; }
  const AgentConfig& config() const { return config_; }
  // The pinned city root and the broker keys it certified or revoked (agent/city_keys.h).
  const common::CityKeyring& cityKeys() const { return cityKeys_->keyring(); }
  const common::Identity& identity() const { return *identity_; }
  const common::Clock& clock() const { return clock_; }
  Outbox& outbox() { return *outbox_; }
  Inbox& inbox() { return *inbox_; }
  // outbox.db, for a CityMessageHandler's own tables; same thread rules as the session.
  SQLite::Database& database() { return *db_; }
  common::ReadinessLevel level() const { return level_; }
  // The newest city-signed word and what the city's time beacon named (agent/city_signal.h).
  const CitySignalRow& citySignal() const { return citySignal_; }
  // Our wall time when the current connection came up; nullopt while not connected.
  std::optional<int64_t> connectedAt() const {
    if (!isConnected()) return std::nullopt;
    return status_.row().lastConnectedAt;
  }
  // Shows `message` as last_error until a newer error replaces it (a refused directive).
  void setStickyError(const std::string& message, int64_t nowMs) {
    setError(message, nowMs, ErrorClass::sticky);
  }

  // Closes the link and records a clean stop (connected = false, running = false).
  void shutdown();

 private:
  AgentSession(zmq::context_t& context, AgentConfig config, const common::Clock& clock,
               SessionOptions options, std::unique_ptr<common::Identity> identity,
               std::unique_ptr<SQLite::Database> db);

  // Reports the probe of the preferred broker (while on a standby) to the session.
  class ProbeListener : public LinkListener {
   public:
    explicit ProbeListener(AgentSession& session) : session_(session) {}
    void onLinkUp(int64_t nowMs) override { session_.onProbeUp(nowMs); }
    void onLinkDown(int64_t nowMs, LinkFailure failure, const std::string&) override {
      session_.onProbeDown(nowMs, failure);
    }
    void onLinkFrame(const uint8_t*, size_t, int64_t) override {}

   private:
    AgentSession& session_;
  };

  std::unique_ptr<Link> makeLink(size_t index, bool probe);
  void onProbeUp(int64_t nowMs);
  void onProbeDown(int64_t nowMs, LinkFailure failure);
  // Moves between brokers and probes the preferred one; never from inside a Link callback.
  void serviceFailover(int64_t nowMs);
  // `failback`: the scheduled return to the preferred broker (else a failover to `index`).
  void moveTo(size_t index, int64_t nowMs, bool failback);
  // With several brokers, a head below what was acknowledged is a standby that has not yet
  // replicated our frames: following it would fork the chain. True (and counted) when so.
  bool isBehindAcknowledged(uint64_t headSeq, int64_t nowMs);
  void noteReach(size_t index, bool up, const char* failure);

  // LinkListener
  void onLinkUp(int64_t nowMs) override;
  void onLinkDown(int64_t nowMs, LinkFailure failure, const std::string& detail) override;
  void onLinkFrame(const uint8_t* data, size_t size, int64_t nowMs) override;

  void handleReject(const common::RejectMsg& reject, int64_t nowMs);
  void handleHead(const common::HeadMsg& head, int64_t nowMs);
  void handleCity(const common::CityEnvelopeMsg& city, int64_t nowMs);
  void handleCityKey(const common::CityKeyMsg& statement, int64_t nowMs);
  void handleBeacon(const common::Bytes& envelope, int64_t nowMs);
  // Records a verified city body signed at `signedAt` (city clock) in the city_signal row.
  void noteCitySigned(int64_t signedAt);
  void flushAcks(int64_t nowMs);
  void applyRealign(const common::Result<RealignOutcome>& outcome, const std::string& why,
                    int64_t nowMs);

  void sendHeartbeat(int64_t nowMs);
  void pump(int64_t nowMs);
  void resendFromFirstUnacked(int64_t nowMs);
  void refreshRange();
  void refreshRotation();
  void switchKey(const ChainHead& oldHead, int64_t nowMs);

  using ErrorClass = SessionStatus::ErrorClass;
  // `nowMs` is unused: last_error carries the wall time of the clock given at open().
  void setError(const std::string& message, int64_t /*nowMs*/,
                ErrorClass errorClass = ErrorClass::transient) {
    status_.setError(message, errorClass);
  }
  void clearError(ErrorClass errorClass) { status_.clearError(errorClass); }
  void writeState(int64_t nowMs, bool force) { status_.write(nowMs, force, stateRefreshMs()); }
  int64_t stateRefreshMs() const;

  zmq::context_t& context_;
  AgentConfig config_;
  const common::Clock& clock_;
  SessionOptions options_;
  std::unique_ptr<common::Identity> identity_;  // before link_: the link uses its CURVE secret
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Inbox> inbox_;
  std::vector<BrokerEndpoint> brokers_;  // config_.brokerList(), in order of preference
  BrokerFailover failover_;
  std::unique_ptr<Link> link_;
  ProbeListener probeListener_{*this};
  std::unique_ptr<Link> probe_;  // to brokers_[0], while on a standby
  bool probeFinished_ = false;   // set in a probe callback; probe_ is dropped after it returns
  std::optional<size_t> pendingMove_;
  bool holdingForReplication_ = false;  // the broker's head was below our acknowledged seq
  std::mt19937_64 jitter_;
  CityMessageHandler* cityHandler_ = nullptr;
  std::unique_ptr<CitySignalStore> citySignalStore_;
  std::unique_ptr<CityKeys> cityKeys_;
  CitySignalRow citySignal_;

  common::ReadinessLevel level_ = common::ReadinessLevel::NORMAL;
  common::RateLimiter logLimiter_{5};
  SessionStatus status_;  // the link_state row `status` reads

  SessionStateMachine machine_;
  SendWindow window_;
  uint64_t pendingAck_ = 0;  // acks seen in this read, applied in one transaction
  // Batches (issue 16): sent on this session; refused by a broker that predates them.
  bool batchesOnConnection_ = false;
  bool batchesRefused_ = false;

  int64_t nextHeartbeatMs_ = 0;
  std::optional<HeartbeatCounter> heartbeatCounter_;  // set by open()
  int64_t nextOutboxPollMs_ = 0;
  int64_t lastDataVersion_ = -1;

  SessionCounters counters_;
};

}  // namespace samband::agent
