// The pull protocol between peer brokers (docs/replication.md): the puller sends its chain
// heads, the peer answers with the envelopes it holds beyond them, per chain in seq order, in
// bounded batches. The envelopes are untrusted like any agent's frames: the puller admits each
// through the gate (Ingress, channel `peer`). The control parts are JSON, size-capped and
// type-checked here; nothing in them is believed beyond "what to send next".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

inline constexpr const char* kPullRequestTag = "samband-pull/1";
inline constexpr const char* kPullAnswerTag = "samband-frames/1";
// A request names every chain the puller holds; this caps what a peer must parse.
inline constexpr size_t kMaxPullRequestBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxPullHeads = 500'000;
inline constexpr size_t kMaxPullBatch = 2048;
inline constexpr int64_t kMaxPullWaitMs = 5000;
// The bytes of envelopes in one answer (at least one envelope is always sent).
inline constexpr size_t kMaxAnswerBytes = 8 * 1024 * 1024;

struct PullHead {
  std::string sender;
  std::string keyId;  // hex
  uint64_t seq = 0;
};

struct PullRequest {
  std::vector<PullHead> heads;
  size_t maxFrames = 512;
  int64_t waitMs = 0;  // hold the request this long when there is nothing to send
  // Chains (sender, key id) to send nothing of: the puller's gate refused one of their frames
  // lately. They still count in `remaining`.
  std::vector<std::pair<std::string, std::string>> skip;
};

struct PullAnswer {
  uint64_t remaining = 0;  // frames the answerer still holds beyond the puller's heads
  std::vector<common::Bytes> envelopes;
};

std::string encodePullRequest(const PullRequest& request);
// Errors: invalidInput (oversized, not JSON, wrong shape or out of range).
common::Result<PullRequest> decodePullRequest(const std::string& json);

// Password hashes beside the frames of one answer (docs/decisions/0014-*): at most this many,
// each at most this long.
inline constexpr size_t kMaxAnswerHashes = 256;
inline constexpr size_t kMaxPasswordHashBytes = 256;

std::string encodeAnswerMeta(uint64_t remaining,
                             const std::vector<std::string>& passwordHashes = {});
// Errors: invalidInput.
common::Result<uint64_t> decodeAnswerMeta(const std::string& json);
// The answer's `password_hashes` (none from an older peer). Untrusted: the puller keeps each
// under the digest it computes itself. Errors: invalidInput (wrong shape, too many, too long).
common::Result<std::vector<std::string>> decodeAnswerHashes(const std::string& json);

// The heads as JSON [[sender, key, seq], ...] (what the responder keeps of a peer).
std::string headsJson(const std::vector<PullHead>& heads);
// Errors: invalidInput.
common::Result<std::vector<PullHead>> parseHeadsJson(const std::string& json);

}  // namespace samband::broker
