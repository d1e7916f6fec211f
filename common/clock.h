// Clock: the one source of time for code that must be testable without sleeping.
// SystemClock reads the wall clock; FakeClock is advanced by tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace samband::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch. Thread-safe.
  virtual int64_t nowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t startMs) : now_(startMs) {}
  int64_t nowMs() const override { return now_.load(); }
  void advanceMs(int64_t ms) { now_ += ms; }
  void setMs(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

// "2026-11-25T10:46:20.123Z" (RFC 3339, UTC).
std::string formatRfc3339(int64_t ms);

// Monotonic milliseconds, for timeouts and latency (never for timestamps that are stored).
int64_t monotonicMs();

// CPU time this thread has used, in nanoseconds (CLOCK_THREAD_CPUTIME_ID).
int64_t threadCpuNs();

}  // namespace samband::common
