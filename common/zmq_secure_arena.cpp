// See zmq_secure_arena.h. Layout of the reserved region: kMaxSlabs slots of kSlabStride bytes,
// each a slab of kSlabBytes followed by one PROT_NONE guard page. A slab serves one size class;
// its free blocks form a singly linked list through their first word (zeroed again when the
// block is handed out). Nothing here is ever unmapped: the region lives as long as the process.
#include "common/zmq_secure_arena.h"

#include <dlfcn.h>
#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kSlabBytes = 256 * 1024;
constexpr size_t kSlabStride = kSlabBytes + kPage;
constexpr size_t kMaxSlabs = 1024;    // 256 MiB of blocks at most; virtual until committed
constexpr size_t kMinClassShift = 5;  // 32 bytes
constexpr size_t kClasses = 12;       // 32 B .. 64 KiB
constexpr size_t kMaxBlock = size_t{1} << (kMinClassShift + kClasses - 1);
constexpr uint8_t kNoClass = 0xff;

using AllocArrayFn = void* (*)(size_t, size_t);
using FreeFn = void (*)(void*);

struct SizeClass {
  std::mutex mu;
  void* free_list = nullptr;
  uint8_t* bump = nullptr;  // next unused block in the newest slab
  uint8_t* bump_end = nullptr;
};

class Arena {
 public:
  Arena() {
    slab_class_.fill(kNoClass);
    void* region = mmap(nullptr, kMaxSlabs * kSlabStride, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) return;
    base_ = static_cast<uint8_t*>(region);
    madvise(base_, kMaxSlabs * kSlabStride, MADV_DONTDUMP);
  }

  bool owns(const void* p) const {
    auto* b = static_cast<const uint8_t*>(p);
    return base_ != nullptr && b >= base_ && b < base_ + kMaxSlabs * kSlabStride;
  }

  void* allocate(size_t size) {
    if (base_ == nullptr || size > kMaxBlock) return nullptr;
    size_t cls = classOf(size);
    SizeClass& sc = classes_[cls];
    size_t block = blockSize(cls);
    std::lock_guard<std::mutex> lock(sc.mu);
    void* out = nullptr;
    if (sc.free_list != nullptr) {
      out = sc.free_list;
      std::memcpy(&sc.free_list, out, sizeof(void*));
      std::memset(out, 0, sizeof(void*));  // the rest was zeroed on free
    } else {
      if (sc.bump == nullptr || sc.bump + block > sc.bump_end) {
        uint8_t* slab = commitSlab(cls);
        if (slab == nullptr) return nullptr;
        sc.bump = slab;
        sc.bump_end = slab + kSlabBytes;
      }
      out = sc.bump;  // fresh anonymous memory is zero
      sc.bump += block;
    }
    allocations_.fetch_add(1, std::memory_order_relaxed);
    in_use_.fetch_add(block, std::memory_order_relaxed);
    return out;
  }

  void release(void* p) {
    auto* b = static_cast<uint8_t*>(p);
    size_t slot = static_cast<size_t>(b - base_) / kSlabStride;
    uint8_t cls = slab_class_[slot];
    if (cls == kNoClass) abort();  // a pointer into a slab never handed out: memory corruption
    size_t block = blockSize(cls);
    sodium_memzero(p, block);
    SizeClass& sc = classes_[cls];
    std::lock_guard<std::mutex> lock(sc.mu);
    std::memcpy(p, &sc.free_list, sizeof(void*));
    sc.free_list = p;
    in_use_.fetch_sub(block, std::memory_order_relaxed);
  }

  samband::common::SecureArenaStats stats() const {
    samband::common::SecureArenaStats s;
    s.allocations = allocations_.load(std::memory_order_relaxed);
    s.fallbacks = fallbacks_.load(std::memory_order_relaxed);
    s.bytes_in_use = in_use_.load(std::memory_order_relaxed);
    s.slabs = slabs_.load(std::memory_order_relaxed);
    s.locked = !lock_failed_.load(std::memory_order_relaxed);
    s.active = base_ != nullptr;
    return s;
  }

  void countFallback() { fallbacks_.fetch_add(1, std::memory_order_relaxed); }

 private:
  static size_t classOf(size_t size) {
    size_t cls = 0;
    while ((size_t{1} << (kMinClassShift + cls)) < size) ++cls;
    return cls;
  }
  static size_t blockSize(size_t cls) { return size_t{1} << (kMinClassShift + cls); }

  uint8_t* commitSlab(size_t cls) {
    std::lock_guard<std::mutex> lock(slab_mu_);
    if (next_slab_ == kMaxSlabs) return nullptr;
    uint8_t* slab = base_ + next_slab_ * kSlabStride;
    if (mprotect(slab, kSlabBytes, PROT_READ | PROT_WRITE) != 0) return nullptr;
    if (mlock(slab, kSlabBytes) != 0) lock_failed_.store(true, std::memory_order_relaxed);
    slab_class_[next_slab_] = static_cast<uint8_t>(cls);
    ++next_slab_;
    slabs_.fetch_add(1, std::memory_order_relaxed);
    return slab;
  }

  uint8_t* base_ = nullptr;
  std::array<SizeClass, kClasses> classes_;
  std::array<uint8_t, kMaxSlabs> slab_class_{};
  std::mutex slab_mu_;
  size_t next_slab_ = 0;
  std::atomic<uint64_t> allocations_{0}, fallbacks_{0}, in_use_{0}, slabs_{0};
  std::atomic<bool> lock_failed_{false};
};

// Never destroyed: libzmq's I/O threads and static destructors may free into it until the end.
Arena& arena() {
  static Arena* a = new Arena();
  return *a;
}

template <typename Fn>
Fn nextSymbol(const char* name) {
  void* sym = dlsym(RTLD_NEXT, name);
  if (sym == nullptr) abort();  // libsodium is linked into every executable that links this
  return reinterpret_cast<Fn>(sym);
}

AllocArrayFn sodiumAllocArray() {
  static AllocArrayFn fn = nextSymbol<AllocArrayFn>("sodium_allocarray");
  return fn;
}

FreeFn sodiumFree() {
  static FreeFn fn = nextSymbol<FreeFn>("sodium_free");
  return fn;
}

}  // namespace

extern "C" void* sodium_allocarray(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t total = count * size;
  if (void* p = arena().allocate(total == 0 ? 1 : total)) return p;
  arena().countFallback();
  return sodiumAllocArray()(count, size);
}

extern "C" void sodium_free(void* ptr) {
  if (ptr == nullptr) return;
  if (arena().owns(ptr)) {
    arena().release(ptr);
    return;
  }
  sodiumFree()(ptr);
}

namespace samband::common {

SecureArenaStats secureArenaStats() { return arena().stats(); }

}  // namespace samband::common
