// RefusalLog: the log lines for frames the gate refused, rate-limited so a flood cannot fill the
// disk: one line when a (reason, provider) pair is first refused, then one line per interval with
// how many more were refused. Names only the reason and the provider id the frame claimed (or
// that nobody could be identified); never keys, signatures, details or personal data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "common/log.h"

namespace samband::broker {

class RefusalLog {
 public:
  // `fields` carry the provider (unless unidentified or "other providers") and the reason, for
  // the journal's SAMBAND_PROVIDER= and SAMBAND_REASON=.
  using Sink = std::function<void(const std::string& line, const common::LogFields& fields)>;

  // `sink` receives each line (the broker passes a warning logger; tests collect them).
  // `intervalMs`: how often a pair that keeps being refused gets a line. At most
  // `linesPerSecond` lines are written; the rest are counted and reported in the next line.
  explicit RefusalLog(Sink sink, int64_t intervalMs = 10'000, int linesPerSecond = 20);

  // Counts one refusal. `provider` is the sender the frame claimed, empty when none could be
  // read (oversized, malformed, a refused handshake, an overloaded queue). Logs at once when the
  // pair has no open interval. Single-threaded (the commit thread).
  void note(const std::string& reason, const std::string& provider, int64_t nowMs);
  // Writes the counts of intervals that ended by `nowMs` and closes the quiet ones. Called after
  // every batch.
  void flush(int64_t nowMs);

  // At most this many (reason, provider) pairs are tracked; refusals beyond are counted under
  // "other providers", so claimed sender ids cannot grow memory without bound.
  static constexpr size_t kMaxTracked = 256;

 private:
  struct Window {
    int64_t startMs = 0;
    int64_t pending = 0;  // refused since the last line for this pair
  };
  void write(const std::string& line, const common::LogFields& fields, int64_t nowMs);

  Sink sink_;
  int64_t intervalMs_;
  common::RateLimiter limiter_;
  std::map<std::pair<std::string, std::string>, Window> windows_;
};

}  // namespace samband::broker
