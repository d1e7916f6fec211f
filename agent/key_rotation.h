// KeyRotation: the agent side of "keys can be rotated (new key announced under the old one)".
// `samband-agent rotate-key` writes the new identity to agent.identity.next and queues a
// keyRotation body signed by the current key; the agent switches to the new key only after the
// broker acknowledged that body (it has then enrolled the new key), so a crash at any point
// never leaves the agent with a key the broker does not know.
//
// States (table key_rotation in outbox.db; each change is one SQLite transaction or one rename):
//   announced     agent.identity = old key, agent.identity.next = new key, keyRotation row
//                 pending. Everything is still signed by the old key.
//   acknowledged  the broker acknowledged the row (recorded by Outbox::ack). `run` stops sending
//                 under the old key, asks the broker for its head with a heartbeat once nothing
//                 is in flight, and then switches.
//   switched      one transaction: rows the broker already holds are dropped, the rest are
//                 re-signed by the new key as seq 1, 2, … (a new chain), the outbox is bound to
//                 the new key. agent.identity is still the old file.
//   done          agent.identity.next renamed over agent.identity (atomic); the old secret key
//                 is gone. `run` reconnects with the new transport key.
//   refused       the broker refused the keyRotation body for good (it is a dead letter); the
//                 old key stays in use; rotate-key may be run again.
// Recovery: a `switched` row is finished (the rename) by the next command that loads the
// identity (finishKeyRotation); `acknowledged` is finished by the next `run` that connects.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/agent_config.h"
#include "agent/outbox.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::agent {

enum class RotationState { announced, acknowledged, switched, done, refused };
const char* rotationStateName(RotationState state);

struct KeyRotationRecord {
  RotationState state = RotationState::announced;
  common::Bytes oldKeyId;
  common::Bytes newKeyId;
  int64_t rowId = 0;  // the outbox row of the keyRotation body
  int64_t startedAt = 0;
  int64_t changedAt = 0;
  std::string detail;  // why the broker refused it
};

// agent.identity.next: where the new identity waits until the switch.
std::string nextIdentityPath(const AgentConfig& config);

// The current (or last) rotation; nullopt when the agent never rotated its key.
common::Result<std::optional<KeyRotationRecord>> readKeyRotation(SQLite::Database& db);

struct RotationStarted {
  uint64_t seq = 0;  // seq of the keyRotation body under the old key
  std::string oldKeyId;
  std::string newKeyId;
  std::string nextPath;
};

// `samband-agent rotate-key`: generates a new identity, writes it to agent.identity.next (0600,
// fsync'd) and queues the keyRotation body signed by the current key together with the
// `announced` row, in one transaction. Refused (conflict) while another rotation is not finished.
// Works offline: the body goes out with the next connection or in an offline file.
common::Result<RotationStarted> startKeyRotation(const AgentConfig& config, int64_t wallNowMs);

// Finishes a rotation in state `switched`: renames agent.identity.next over agent.identity and
// records `done`. Does nothing in any other state. Idempotent and safe to repeat after a crash;
// errors say which file to restore.
common::Status finishKeyRotation(const AgentConfig& config, SQLite::Database& db);

// For `run`, in state `acknowledged`, given the broker's head of the OLD key's chain (from a
// heartbeat reply received when nothing was in flight): moves `outbox` to the new key
// (Outbox::rekey, state `switched`), then finishKeyRotation. After success the caller must stop
// using `outbox` and its identity and open them again.
common::Status switchToNextKey(const AgentConfig& config, SQLite::Database& db, Outbox& outbox,
                               const ChainHead& brokerOldHead, int64_t wallNowMs);

}  // namespace samband::agent
