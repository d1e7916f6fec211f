// The chain rule: each sender's frames under one key form a hash chain (seq = head + 1,
// prevHash = hash of the head's body). Given the stored head, decides what a new frame is:
// the next link, a duplicate of a stored one, a replay, a gap or a fork. Pure: the caller looks
// up the stored body hash (only when needsStoredBody() says so) and applies the verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/store/archive_store.h"
#include "common/bytes.h"

namespace samband::broker {

enum class ChainVerdict {
  append,     // seq = head + 1 and prevHash = head's hash: store it
  duplicate,  // this very body is already stored at its seq: acknowledge again, store nothing
  replay,     // its seq is taken by another body
  gap,        // seq is beyond head + 1
  fork,       // seq = head + 1, but prevHash is not the head's hash
};

// One frame's place in its chain.
struct ChainLink {
  uint64_t seq = 0;
  const common::Bytes& prevHash;
  const common::Bytes& bodyHash;
};

// True when the verdict depends on the body stored at `seq` (seq at or below the head).
inline bool needsStoredBody(const ChainHead& head, uint64_t seq) { return seq <= head.seq; }

// The verdict for `link` on top of `head`. `storedAtSeq` is the body hash the archive holds at
// link.seq (nullopt when none); it is read only when needsStoredBody().
ChainVerdict judgeLink(const ChainHead& head, const ChainLink& link,
                       const std::optional<common::Bytes>& storedAtSeq);

// The detail text of a refusal for `verdict` (replay, gap or fork), as sent to the agent.
std::string chainRefusalDetail(ChainVerdict verdict, const ChainHead& head, uint64_t seq);

}  // namespace samband::broker
