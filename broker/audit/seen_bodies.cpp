// See seen_bodies.h.
#include "broker/audit/seen_bodies.h"

#include <cassert>
#include <cstring>

namespace samband::broker {

bool SeenBodies::insert(const common::Bytes& hash) {
  assert(hash.size() >= 16);
  Slot key;
  if (hash.size() >= 16) {
    std::memcpy(&key.a, hash.data(), 8);
    std::memcpy(&key.b, hash.data() + 8, 8);
  }
  if (key.a == 0 && key.b == 0) {
    const bool fresh = !zeroSeen_;
    zeroSeen_ = true;
    count_ += fresh ? 1 : 0;
    return fresh;
  }
  if ((count_ + 1) * 4 > slots_.size() * 3) grow();
  if (!place(key)) return false;
  count_++;
  return true;
}

bool SeenBodies::place(const Slot& key) {
  const size_t mask = slots_.size() - 1;
  // The hash is already uniform: its own bits choose the slot.
  for (size_t i = static_cast<size_t>(key.a) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.a == 0 && s.b == 0) {
      s = key;
      return true;
    }
    if (s.a == key.a && s.b == key.b) return false;
  }
}

void SeenBodies::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  for (const Slot& s : old) {
    if (s.a != 0 || s.b != 0) place(s);
  }
}

}  // namespace samband::broker
