// The transitions of the agent session (the table "Agent session" in docs/protocol.md). Each
// function is one row of the table's transition events; `impossible` cells abort.
#include "agent/session_state.h"

#include <cstdio>
#include <cstdlib>

namespace samband::agent {

const char* sessionStateName(SessionState state) {
  switch (state) {
    case SessionState::connecting:
      return "connecting";
    case SessionState::streaming:
      return "streaming";
    case SessionState::draining:
      return "draining";
    case SessionState::switchingKey:
      return "switching_key";
    case SessionState::reconnectingToSwitch:
      return "reconnecting_to_switch";
    case SessionState::switched:
      return "switched";
    case SessionState::stopped:
      return "stopped";
  }
  return "unknown";
}

void SessionStateMachine::impossible(const char* event) const {
  std::fprintf(stderr, "fatal: agent session: event %s is impossible in state %s\n", event,
               sessionStateName(state_));
  std::abort();
}

void SessionStateMachine::enter(SessionState next) {
  if (next == state_) return;
  SessionState from = state_;
  state_ = next;
  if (observer_) observer_(from, next);
}

void SessionStateMachine::onLinkUp() {
  switch (state_) {
    case SessionState::connecting:
      return enter(SessionState::streaming);
    case SessionState::reconnectingToSwitch:
      return enter(SessionState::draining);
    case SessionState::switched:
      return;  // sends nothing more; only the status row notes the connection
    case SessionState::streaming:
    case SessionState::draining:
    case SessionState::switchingKey:
    case SessionState::stopped:
      impossible("link_up");  // the Link reports up only after a down or at the first connect
  }
}

void SessionStateMachine::onLinkDown() {
  switch (state_) {
    case SessionState::connecting:
    case SessionState::streaming:
      return enter(SessionState::connecting);
    case SessionState::draining:
    case SessionState::switchingKey:
    case SessionState::reconnectingToSwitch:
      return enter(SessionState::reconnectingToSwitch);
    case SessionState::switched:
      return;
    case SessionState::stopped:
      impossible("link_down");  // a stopped Link reports nothing
  }
}

void SessionStateMachine::onRotationAcknowledged() {
  switch (state_) {
    case SessionState::connecting:
      return enter(SessionState::reconnectingToSwitch);
    case SessionState::streaming:
      return enter(SessionState::draining);
    case SessionState::draining:
    case SessionState::switchingKey:
    case SessionState::reconnectingToSwitch:
    case SessionState::switched:
    case SessionState::stopped:
      impossible("rotation_acknowledged");  // looked for only while on the old key
  }
}

void SessionStateMachine::onSwitchHeartbeatSent() {
  switch (state_) {
    case SessionState::draining:
    case SessionState::switchingKey:  // a later heartbeat asks the same question again
      return enter(SessionState::switchingKey);
    case SessionState::connecting:
    case SessionState::streaming:
    case SessionState::reconnectingToSwitch:
    case SessionState::switched:
    case SessionState::stopped:
      impossible("switch_heartbeat_sent");
  }
}

void SessionStateMachine::onSwitchCompleted() {
  if (state_ != SessionState::switchingKey) impossible("switch_completed");
  enter(SessionState::switched);
}

void SessionStateMachine::onSwitchFailed() {
  if (state_ != SessionState::switchingKey) impossible("switch_failed");
  enter(SessionState::draining);
}

void SessionStateMachine::onShutdown() { enter(SessionState::stopped); }

}  // namespace samband::agent
