// FrameCheck: what one stored frame proves on its own, without the frames around it: its
// envelope and body decode, the hash of its signed body, and its signature with a key the
// archive proves. The audit runs it on worker threads (check_pool.h); everything that needs the
// frames in order (chains, checkpoints, the picture) stays on the audit's own thread.
#pragma once

#include <optional>
#include <string>

#include "broker/city/key_records.h"
#include "broker/store/audit_store.h"
#include "common/identity.h"
#include "common/messages.h"

namespace samband::broker {

// The keys a frame's signature may be checked with. Read-only while workers run.
struct FrameKeys {
  common::PublicKey cityKey{};
  std::string cityKeyId;                // hex
  const ArchiveKeys* proven = nullptr;  // not owned; keys proven by city records
};

struct FrameCheck {
  // inBatch (issue 16): stored from a batch; its signature is the batch's, which the audit's
  // own thread checks with the database (stored_batch.h) using batchBody and batchKey.
  enum class Signature { verified, bad, noProvenKey, notChecked, inBatch };
  // Empty when the envelope and body decode; else why not ("envelope does not decode").
  std::string decodeProblem;
  common::Message body;    // valid when decodeProblem is empty
  common::Bytes bodyHash;  // SHA-256 of the signed body bytes
  Signature signature = Signature::notChecked;
  common::Bytes batchBody;       // inBatch: the signed body bytes
  common::PublicKey batchKey{};  // inBatch: the proven key of its sender
};

// Decodes `frame` and, when `checkSignature`, verifies its signature with the key `keys` proves
// for its sender (the city's own key for the city's frames). Pure: thread-safe as long as `keys`
// does not change. The single place a frame's signature is judged; a new envelope form (a signed
// batch) extends this function.
FrameCheck checkFrame(const StoredFrame& frame, const FrameKeys& keys, bool checkSignature);

}  // namespace samband::broker
