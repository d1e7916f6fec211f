// See outbox_batch.h.
#include "agent/outbox_batch.h"

#include "common/batch_envelope.h"
#include "common/codec.h"
#include "common/signing.h"

namespace samband::agent {

namespace {

// Bytes of a batch frame besides the bodies: magic, segment table, root struct, list pointers,
// signature. Each body adds its own bytes rounded up to a word plus one list pointer.
constexpr size_t kBatchOverheadBytes = 8 + 8 + 24 + 8 + 64;

size_t wordsRounded(size_t n) { return (n + 7) / 8 * 8; }

}  // namespace

OutboxBatch batchFrom(const common::Identity& identity, const std::vector<OutboxRow>& rows,
                      size_t first) {
  OutboxBatch out;
  std::vector<common::Bytes> bodies;
  size_t bytes = kBatchOverheadBytes;
  for (size_t i = first; i < rows.size() && bodies.size() < common::kMaxBatchReports; ++i) {
    if (i > first &&
        (rows[i].seq != rows[i - 1].seq + 1 || rows[i].prevHash != rows[i - 1].bodyHash)) {
      break;
    }
    // A key rotation travels alone: its own signature is the roster's proof of the new key.
    if (rows[i].kind == "key_rotation") break;
    auto parts = common::decodeEnvelope(rows[i].envelope);
    if (!parts) break;
    const size_t add = wordsRounded(parts->body.size()) + 8;
    if (bytes + add > common::kMaxBatchBytes) break;
    bytes += add;
    bodies.push_back(std::move(parts->body));
  }
  if (bodies.size() < 2) return out;
  common::Bytes frame = common::encodeBatch(bodies, common::signBatch(identity, bodies));
  if (frame.size() > common::kMaxBatchBytes) return out;  // the estimate is above every encoding
  out.rows = bodies.size();
  out.frame = std::move(frame);
  return out;
}

}  // namespace samband::agent
