// FrameCheck: what one stored frame proves on its own, without the frames around it: its
// envelope and body decode, the hash of its signed body, and its signature with a key the
// archive proves. The audit runs it on worker threads (check_pool.h); everything that needs the
// frames in order (chains, checkpoints, the picture) stays on the audit's own thread.
#pragma once

#include <optional>
#include <string>

#include "broker/city/key_records.h"
#include "broker/store/audit_store.h"
#include "common/city_keyring.h"
#include "common/identity.h"
#include "common/messages.h"

namespace samband::broker {

// The keys a frame's signature may be checked with. Read-only while workers run.
struct FrameKeys {
  // Not owned. The city's keys: the root, and the broker keys it certified (a city frame is
  // checked with the key its keyId names, as it stood when the frame was archived).
  const common::CityKeyring* city = nullptr;
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
  // Why a bad signature is bad, when there is more to say than "does not verify" (a city key
  // the root never certified, or revoked by then).
  std::string signatureProblem;
  common::Bytes batchBody;       // inBatch: the signed body bytes
  common::PublicKey batchKey{};  // inBatch: the proven key of its sender
  common::Bytes scratch;         // reused for the bytes a signature covers
};

// Decodes `frame` and, when `checkSignature`, verifies its signature with the key `keys` proves
// for its sender (for the city's frames, a key the city keyring accepts at the frame's receipt).
// Pure: thread-safe as long as `keys` does not change. The single place a frame's signature is
// judged; a new envelope form (a signed batch) extends this function.
// Writes into `out`, reusing its buffers (the audit keeps one FrameCheck per slot of a batch).
void checkFrame(const StoredFrame& frame, const FrameKeys& keys, bool checkSignature,
                FrameCheck& out);

}  // namespace samband::broker
