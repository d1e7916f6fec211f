// See key_rotation.h. The order of every step is chosen so that a crash between any two leaves
// a state the next command can finish: the new identity file exists before the database points
// at it, and the old identity file is replaced only after the outbox no longer needs it.
#include "agent/key_rotation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/agent_identity.h"
#include "agent/database.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"

namespace samband::agent {

namespace {

using common::Bytes;
using common::Result;
using common::Status;

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Makes a rename or a new file in `path`'s directory durable.
void syncDirectoryOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::optional<RotationState> parseState(const std::string& s) {
  for (RotationState st : {RotationState::announced, RotationState::acknowledged,
                           RotationState::switched, RotationState::done, RotationState::refused}) {
    if (s == rotationStateName(st)) return st;
  }
  return std::nullopt;
}

common::Error storage(SQLite::Database& db, const std::exception& e) {
  return common::unavailable("outbox " + db.getFilename() + ": cannot record the key rotation: " +
                             e.what() + " (check free disk space and file permissions)");
}

Status setState(SQLite::Database& db, RotationState state, int64_t nowMs) {
  SQLite::Statement u(db, "UPDATE key_rotation SET state = ?, changed_at = ? WHERE id = 1");
  u.bind(1, rotationStateName(state));
  u.bind(2, nowMs);
  u.exec();
  return {};
}

}  // namespace

const char* rotationStateName(RotationState state) {
  switch (state) {
    case RotationState::announced:
      return "announced";
    case RotationState::acknowledged:
      return "acknowledged";
    case RotationState::switched:
      return "switched";
    case RotationState::done:
      return "done";
    case RotationState::refused:
      return "refused";
  }
  return "unknown";
}

std::string nextIdentityPath(const AgentConfig& config) { return config.identityPath + ".next"; }

Result<std::optional<KeyRotationRecord>> readKeyRotation(SQLite::Database& db) {
  try {
    SQLite::Statement q(db,
                        "SELECT state, old_key_id, new_key_id, row_id, started_at, changed_at, "
                        "detail FROM key_rotation WHERE id = 1");
    if (!q.executeStep()) return std::optional<KeyRotationRecord>();
    auto state = parseState(q.getColumn(0).getString());
    if (!state) {
      return common::internalError("outbox " + db.getFilename() + ": key_rotation state '" +
                                   q.getColumn(0).getString() + "' is unknown; please report this");
    }
    KeyRotationRecord r;
    r.state = *state;
    r.oldKeyId = columnBytes(q.getColumn(1));
    r.newKeyId = columnBytes(q.getColumn(2));
    r.rowId = q.getColumn(3).getInt64();
    r.startedAt = q.getColumn(4).getInt64();
    r.changedAt = q.getColumn(5).getInt64();
    if (!q.getColumn(6).isNull()) r.detail = q.getColumn(6).getString();
    return std::optional<KeyRotationRecord>(std::move(r));
  } catch (const std::exception& e) {
    return storage(db, e);
  }
}

Status finishKeyRotation(const AgentConfig& config, SQLite::Database& db) {
  auto record = readKeyRotation(db);
  if (!record) return record.error();
  if (!*record || (*record)->state != RotationState::switched) return {};
  const KeyRotationRecord& r = **record;
  const std::string next = nextIdentityPath(config);
  const std::string newKey = common::toHex(r.newKeyId);
  if (fileExists(next)) {
    auto identity = common::Identity::load(next);
    if (!identity) {
      return common::invalidInput("cannot finish the key rotation: " + identity.error().message);
    }
    if ((*identity)->keyId() != r.newKeyId) {
      return common::invalidInput(
          next + " holds key " + common::toHex((*identity)->keyId()) +
          " but the outbox already switched to key " + newKey +
          "; restore the agent.identity.next that rotate-key wrote (from backup) and run the "
          "command again");
    }
    if (::rename(next.c_str(), config.identityPath.c_str()) != 0) {
      return common::unavailable("cannot rename " + next + " to " + config.identityPath + ": " +
                                 std::strerror(errno) +
                                 "; check that the directory is writable by this user");
    }
    syncDirectoryOf(config.identityPath);
    common::logInfo("agent", config.provider + ": now signing with the new key " + newKey + " (" +
                                 config.identityPath + ")");
  } else {
    auto identity = common::Identity::load(config.identityPath);
    if (!identity || (*identity)->keyId() != r.newKeyId) {
      return common::invalidInput(
          "the outbox switched to the new key " + newKey + " but " + next + " is missing and " +
          config.identityPath +
          " does not hold that key; restore agent.identity.next from backup (rotate-key wrote "
          "it), or create a new agent with samband-agent init");
    }
    // The rename happened; only the state was not written yet.
  }
  try {
    return setState(db, RotationState::done, common::SystemClock().nowMs());
  } catch (const std::exception& e) {
    return storage(db, e);
  }
}

Result<RotationStarted> startKeyRotation(const AgentConfig& config, int64_t wallNowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  if (Status s = finishKeyRotation(config, **db); !s) return s.error();
  auto identity = loadAgentIdentity(config);
  if (!identity) return identity.error();
  auto record = readKeyRotation(**db);
  if (!record) return record.error();
  if (*record && ((*record)->state == RotationState::announced ||
                  (*record)->state == RotationState::acknowledged ||
                  (*record)->state == RotationState::switched)) {
    return common::Error{
        common::ErrorKind::conflict,
        std::string("a key rotation to key ") + common::toHex((*record)->newKeyId) +
            " is not finished yet (state " + rotationStateName((*record)->state) +
            "); it completes when the broker acknowledges it: keep 'samband-agent run' "
            "connected (or carry it with samband-agent export), and watch samband-agent status"};
  }
  Outbox outbox(**db, **identity);
  if (Status s = outbox.verifyKey(); !s) return s.error();

  const std::string next = nextIdentityPath(config);
  // A leftover from a rotation that was refused, or from a rotate-key interrupted before it
  // queued anything: no state points at it, so it holds no key anyone knows.
  if (fileExists(next) && ::unlink(next.c_str()) != 0) {
    return common::unavailable("cannot remove the leftover " + next + ": " + std::strerror(errno) +
                               "; remove it by hand and run rotate-key again");
  }
  auto fresh = common::Identity::generate(config.provider);
  if (Status s = fresh->save(next); !s) return s.error();
  syncDirectoryOf(next);

  const common::KeyRotationMsg announce = common::keyRotationTo(*fresh);
  const Bytes oldKeyId = (*identity)->keyId();
  const Bytes newKeyId = fresh->keyId();
  auto queued = outbox.append({OutboxDraft{common::Mode::SYSTEM, wallNowMs, announce}}, wallNowMs,
                              [&](const std::vector<QueuedMessage>& rows) -> Status {
                                SQLite::Statement q(
                                    **db,
                                    "INSERT OR REPLACE INTO key_rotation (id, state, old_key_id, "
                                    "new_key_id, row_id, started_at, changed_at, detail) VALUES "
                                    "(1, 'announced', ?, ?, ?, ?, ?, NULL)");
                                bindBlob(q, 1, oldKeyId);
                                bindBlob(q, 2, newKeyId);
                                q.bind(3, rows.front().rowId);
                                q.bind(4, wallNowMs);
                                q.bind(5, wallNowMs);
                                q.exec();
                                return {};
                              });
  if (!queued) {
    ::unlink(next.c_str());  // nothing points at it
    return queued.error();
  }
  RotationStarted out;
  out.seq = queued->front().seq;
  out.oldKeyId = common::toHex(oldKeyId);
  out.newKeyId = common::toHex(newKeyId);
  out.nextPath = next;
  return out;
}

Status switchToNextKey(const AgentConfig& config, SQLite::Database& db, Outbox& outbox,
                       const ChainHead& brokerOldHead, int64_t wallNowMs) {
  auto record = readKeyRotation(db);
  if (!record) return record.error();
  if (!*record || (*record)->state != RotationState::acknowledged) {
    return common::internalError("switchToNextKey called without an acknowledged key rotation");
  }
  const std::string next = nextIdentityPath(config);
  auto identity = common::Identity::load(next);
  if (!identity) {
    return common::invalidInput(
        "the broker acknowledged the key rotation, but the new key cannot "
        "be read: " +
        identity.error().message +
        "; restore agent.identity.next from backup (the old key keeps "
        "working meanwhile)");
  }
  if ((*identity)->keyId() != (*record)->newKeyId || (*identity)->id() != config.provider) {
    return common::invalidInput(next + " does not hold the announced key " +
                                common::toHex((*record)->newKeyId) +
                                "; restore the file rotate-key wrote (the old key keeps working "
                                "meanwhile)");
  }
  auto resigned = outbox.rekey(**identity, brokerOldHead, [&](const std::vector<QueuedMessage>&) {
    return setState(db, RotationState::switched, wallNowMs);
  });
  if (!resigned) return resigned.error();
  common::logInfo("agent", config.provider + ": the broker acknowledged the key rotation; " +
                               std::to_string(*resigned) +
                               " pending message(s) re-signed with the new key " +
                               common::toHex((*record)->newKeyId));
  return finishKeyRotation(config, db);
}

}  // namespace samband::agent
