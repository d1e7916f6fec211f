// See refusal_log.h.
#include "broker/ingest/refusal_log.h"

namespace samband::broker {

namespace {

const char* const kOtherProviders = "other providers";

std::string who(const std::string& provider) {
  return provider.empty() ? std::string("an unidentified peer") : "provider " + provider;
}

common::LogFields fieldsOf(const std::string& reason, const std::string& provider) {
  return {provider == kOtherProviders ? std::string() : provider, reason};
}

std::string frames(int64_t n) { return std::to_string(n) + (n == 1 ? " frame" : " frames"); }

}  // namespace

RefusalLog::RefusalLog(Sink sink, int64_t intervalMs, int linesPerSecond)
    : sink_(std::move(sink)), intervalMs_(intervalMs), limiter_(linesPerSecond) {}

void RefusalLog::write(const std::string& line, const common::LogFields& fields, int64_t nowMs) {
  uint64_t suppressed = 0;
  if (!limiter_.allow(nowMs, &suppressed)) return;
  if (suppressed == 0) {
    sink_(line, fields);
  } else {
    sink_(line + " (" + std::to_string(suppressed) + " refusal log lines suppressed before)",
          fields);
  }
}

void RefusalLog::note(const std::string& reason, const std::string& provider, int64_t nowMs) {
  auto key = std::make_pair(reason, provider);
  auto it = windows_.find(key);
  if (it == windows_.end() && windows_.size() >= kMaxTracked) {
    key.second = kOtherProviders;
    it = windows_.find(key);
  }
  if (it != windows_.end()) {
    it->second.pending++;
    return;
  }
  windows_.emplace(key, Window{nowMs, 0});
  write("refused " + frames(1) + " from " +
            (key.second == kOtherProviders ? key.second : who(provider)) + ": " + reason +
            " (repeats are counted, one line per " + std::to_string(intervalMs_ / 1000) +
            " s; totals: samband-broker status --json)",
        fieldsOf(reason, key.second), nowMs);
}

void RefusalLog::flush(int64_t nowMs) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    Window& w = it->second;
    if (nowMs - w.startMs < intervalMs_) {
      ++it;
      continue;
    }
    if (w.pending == 0) {
      it = windows_.erase(it);
      continue;
    }
    const std::string& provider = it->first.second;
    write("refused " + frames(w.pending) + " more from " +
              (provider == kOtherProviders ? provider : who(provider)) + ": " + it->first.first +
              " in the last " + std::to_string((nowMs - w.startMs) / 1000) + " s",
          fieldsOf(it->first.first, provider), nowMs);
    w.startMs = nowMs;
    w.pending = 0;
    ++it;
  }
}

}  // namespace samband::broker
