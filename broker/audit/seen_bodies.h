// SeenBodies: the set of body hashes the audit has walked, to find a body stored twice. A flat
// open-addressing table of the first 16 bytes of each SHA-256 (16 bytes a slot, at most 3/4 full:
// 1 GiB for a year of 35 M frames, where a std::set of the full hashes took over 4 GB and a
// fifth of the walk's time). Two different bodies share a 128-bit prefix with probability ~n²/2¹²⁹:
// never, in practice; a duplicate found here is the same body.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace samband::broker {

class SeenBodies {
 public:
  // Adds `hash` (at least 16 bytes). Returns false when it was already there.
  bool insert(const common::Bytes& hash);
  size_t size() const { return count_; }

 private:
  struct Slot {
    uint64_t a = 0, b = 0;
  };
  void grow();
  bool place(const Slot& key);

  std::vector<Slot> slots_;
  size_t count_ = 0;
  bool zeroSeen_ = false;  // the all-zero prefix marks an empty slot, so it is kept aside
};

}  // namespace samband::broker
