// Secret memory for libzmq's CURVE handshakes and message boxes, from one locked arena instead of
// a guarded mapping per allocation (docs/decisions/0013-zmq-secure-arena.md).
//
// libzmq 4.3 keeps every CURVE plaintext and key in `sodium_allocarray` memory and returns it with
// `sodium_free`: per allocation an mmap, three mprotect calls, mlock, and on free munlock,
// mprotect, madvise and munmap. Each page-table change sends a TLB shootdown to the other cores;
// in a virtual machine that is an inter-processor interrupt through the hypervisor. Every
// connection's handshake and every message in and out pays it (about 60 % of the broker's CPU in
// a reconnect wave here), and each live allocation costs three memory mappings.
//
// An executable that links the `samband_zmq_arena` object library defines `sodium_allocarray`
// and `sodium_free` itself, so libzmq's calls bind to these (the dynamic linker looks in the
// executable first). Requests up to 64 KiB come from size-classed blocks in one reserved region:
// locked in RAM where RLIMIT_MEMLOCK allows (mlock), excluded from core dumps (MADV_DONTDUMP),
// zeroed on free, with a guard page after every slab. Larger requests, and memory the process's
// own code gets from `sodium_malloc` (SecretBytes), keep libsodium's guarded mappings: our
// `sodium_free` hands every pointer outside the region to libsodium's.
#pragma once

#include <cstdint>

namespace samband::common {

struct SecureArenaStats {
  uint64_t allocations = 0;   // served from the arena since start
  uint64_t fallbacks = 0;     // passed on to libsodium (too large, or the region is full)
  uint64_t bytes_in_use = 0;  // arena blocks handed out and not yet freed
  uint64_t slabs = 0;         // slabs committed (kSlabBytes each)
  bool locked = true;         // every committed slab is mlock'ed
  bool active = false;        // the region exists (false: everything went to libsodium)
};

// Also what makes the linker keep this object: call it once at start (the broker exports the
// figures in /metrics).
SecureArenaStats secureArenaStats();

}  // namespace samband::common
