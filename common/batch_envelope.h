// Batch envelopes (issue 16): one Ed25519 signature over up to 64 consecutive reports of one
// sender and key. The uplink frame is kBatchMagic followed by a Cap'n Proto BatchEnvelope; each
// body inside is a Body exactly as signed and keeps its own seq and prevHash. The decode gate for
// batches (limits, shape); signing is in signing.h, the broker's checks in broker/ingest/ingress.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::common {

// The 8 bytes that open a batch frame. A single Envelope can never start with them: read as a
// Cap'n Proto segment table they announce over a billion segments, which every Cap'n Proto
// reader (and so every broker older than batches) refuses as malformed.
inline constexpr char kBatchMagic[8] = {'S', 'B', 'A', 'T', 'C', 'H', 'v', '1'};
// At most this many reports in one batch, and at most this many bytes in the whole frame.
inline constexpr size_t kMaxBatchReports = 64;
inline constexpr size_t kMaxBatchBytes = 48 * 1024;

struct BatchParts {
  std::vector<Bytes> bodies;
  Bytes signature;
};

// True when `data` opens with kBatchMagic (says nothing about the rest).
bool isBatchFrame(const uint8_t* data, size_t size);
inline bool isBatchFrame(const Bytes& b) { return isBatchFrame(b.data(), b.size()); }

// The frame for `bodies` (each a serialized Body) and their batch signature.
Bytes encodeBatch(const std::vector<Bytes>& bodies, const Bytes& signature);

// Decodes a batch frame: magic, a 64-byte signature, 1..kMaxBatchReports non-empty bodies, the
// frame at most kMaxBatchBytes. Bodies are not decoded here (decodeBody does that). Errors:
// invalidInput, with `*oversized` set when the frame breaks a size limit (too many bytes or
// too many reports); no exception escapes.
Result<BatchParts> decodeBatch(const uint8_t* data, size_t size, bool* oversized = nullptr);
inline Result<BatchParts> decodeBatch(const Bytes& b, bool* oversized = nullptr) {
  return decodeBatch(b.data(), b.size(), oversized);
}

// The archive's envelope for a report stored from a batch: its body exactly as signed and a
// signature of 64 zero bytes (never valid): the signature is the batch's, kept with it.
Bytes batchMemberEnvelope(const Bytes& body);
// True for a signature of 64 zero bytes (a report whose signature is its batch's).
bool isBatchMemberSignature(const uint8_t* signature, size_t size);
inline bool isBatchMemberSignature(const Bytes& signature) {
  return isBatchMemberSignature(signature.data(), signature.size());
}

}  // namespace samband::common

namespace samband::common {

// A stored batch frame re-verified (the audit, inquiries): decodes `frame` and checks its
// signature under `signPublic` over the exact bytes. Returns its bodies; errors: invalidInput
// ("does not decode" or "signature does not verify").
Result<std::vector<Bytes>> openBatch(const Bytes& frame, const PublicKey& signPublic);

}  // namespace samband::common
