// BrokerFailover: which of the city's brokers the agent talks to (docs/agent.md, "Several
// brokers"; the state table is in docs/protocol.md, "Broker failover"). A pure policy with no
// sockets and no clock of its own: the AgentSession tells it what its links saw and asks it
// where to go. Index 0 is the preferred broker; the others are standbys, tried in order.
//
// Rules:
//   - The current broker has failed when its link failed at least twice in a row AND the first
//     of those failures is at least failoverAfterMs old, or at least 2 + failoverAfterMs/200
//     failures in a row: then move to the next broker (wrapping round).
//   - On a standby, the preferred broker is probed (a handshake only; agent/session.cpp); once
//     it answers, the return is scheduled a random 0..failbackJitterMs later, so thousands of
//     agents do not move back in the same second. A failed probe cancels the schedule.
//   - With one broker, nothing ever moves.
// Not thread-safe; owned by one AgentSession.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

namespace samband::agent {

struct FailoverSettings {
  int64_t failoverAfterMs = 3000;
  int64_t failbackJitterMs = 60000;
};

class BrokerFailover {
 public:
  // `count` brokers (at least 1); `seed` draws the failback jitter (give each agent its own).
  BrokerFailover(size_t count, FailoverSettings settings, uint64_t seed);

  size_t count() const { return count_; }
  size_t current() const { return current_; }
  bool isOnPreferred() const { return current_ == 0; }

  // The link to the current broker came up: its failures are forgotten.
  void onUp();
  // The link to the current broker failed at `nowMs`. True when the session should move to
  // next() now.
  bool onFailure(int64_t nowMs);
  // The broker after the current one (wrapping round).
  size_t next() const { return (current_ + 1) % count_; }
  // The session moved to broker `index` (after onFailure said so, or a due failback).
  void moveTo(size_t index);

  // True while the session should probe the preferred broker (on a standby, no return
  // scheduled yet).
  bool wantsProbe() const { return current_ != 0 && !failbackAtMs_; }
  // The probe of the preferred broker succeeded / failed.
  void onPreferredReachable(int64_t nowMs);
  void onPreferredUnreachable() { failbackAtMs_.reset(); }
  // The scheduled return to the preferred broker, if any.
  std::optional<int64_t> failbackAtMs() const { return failbackAtMs_; }
  bool isFailbackDue(int64_t nowMs) const {
    return current_ != 0 && failbackAtMs_ && nowMs >= *failbackAtMs_;
  }
  int failuresInARow() const { return failures_; }

 private:
  size_t count_;
  FailoverSettings settings_;
  std::mt19937_64 rng_;
  size_t current_ = 0;
  int failures_ = 0;
  int64_t firstFailureMs_ = 0;
  std::optional<int64_t> failbackAtMs_;
};

}  // namespace samband::agent
