// SessionStateMachine: the states of the agent's protocol engine and the events that move it
// between them — the states×events table "Agent session" in docs/protocol.md. AgentSession
// (agent/session.h) calls one function per event and asks state() what to do; this class only
// decides the next state, so the table can be walked row by row without sockets.
#pragma once

#include <functional>

namespace samband::agent {

enum class SessionState {
  connecting,            // no connection: waiting for the backoff or the handshake
  streaming,             // connected: outbox rows go out in seq order within the window
  draining,              // connected, the broker acknowledged the key rotation: nothing new goes
                         // out under the old key until every frame on the wire is answered
  switchingKey,          // connected, the switch heartbeat is out: its head switches the outbox
  reconnectingToSwitch,  // no connection, the rotation is acknowledged: asks for the head on
                         // connect
  switched,              // the outbox is on the new key: sends nothing; the driver reopens
  stopped,               // shutdown(): socket closed, clean stop recorded
};
const char* sessionStateName(SessionState state);

// Not thread-safe; owned by one AgentSession. An event the table marks impossible in the current
// state is a bug in the caller: it aborts with the state and the event named.
class SessionStateMachine {
 public:
  // Called after every change with the old and the new state (tests record the path).
  using Observer = std::function<void(SessionState from, SessionState to)>;

  explicit SessionStateMachine(SessionState initial = SessionState::connecting) : state_(initial) {}

  SessionState state() const { return state_; }
  void setObserver(Observer observer) { observer_ = std::move(observer); }

  // The CURVE handshake succeeded.
  void onLinkUp();
  // The handshake failed or was refused, or the connection was lost.
  void onLinkDown();
  // The outbox says the broker acknowledged the key rotation: found at open (connecting), or an
  // ack just covered the rotation row (streaming).
  void onRotationAcknowledged();
  // A heartbeat went out while draining with nothing in flight: its head will say what the
  // broker holds under the old key.
  void onSwitchHeartbeatSent();
  // The outbox was switched to the new key (agent/key_rotation.h, switchToNextKey).
  void onSwitchCompleted();
  // Switching failed; the old key keeps working and the next switch heartbeat tries again.
  void onSwitchFailed();
  // shutdown(): idempotent.
  void onShutdown();

 private:
  [[noreturn]] void impossible(const char* event) const;
  void enter(SessionState next);

  SessionState state_;
  Observer observer_;
};

}  // namespace samband::agent
