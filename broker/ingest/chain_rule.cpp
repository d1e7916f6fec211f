// See chain_rule.h.
#include "broker/ingest/chain_rule.h"

namespace samband::broker {

ChainVerdict judgeLink(const ChainHead& head, const ChainLink& link,
                       const std::optional<common::Bytes>& storedAtSeq) {
  if (needsStoredBody(head, link.seq)) {
    return storedAtSeq && *storedAtSeq == link.bodyHash ? ChainVerdict::duplicate
                                                        : ChainVerdict::replay;
  }
  if (link.seq != head.seq + 1) return ChainVerdict::gap;
  if (link.prevHash != head.hash) return ChainVerdict::fork;
  return ChainVerdict::append;
}

std::string chainRefusalDetail(ChainVerdict verdict, const ChainHead& head, uint64_t seq) {
  switch (verdict) {
    case ChainVerdict::replay:
      return "seq " + std::to_string(seq) + " is already taken by another message";
    case ChainVerdict::gap:
      return "expected seq " + std::to_string(head.seq + 1);
    case ChainVerdict::fork:
      return "prevHash does not match the stored chain";
    case ChainVerdict::append:
    case ChainVerdict::duplicate:
      break;
  }
  return {};
}

}  // namespace samband::broker
