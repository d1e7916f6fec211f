// See board_view_cache.h.
#include "broker/board/board_view_cache.h"

#include <algorithm>
#include <utility>

namespace samband::broker {

namespace {
void part(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}
}  // namespace

std::string BoardViewKey::text() const {
  std::string out;
  part(out, route);
  part(out, role);
  out += std::to_string(districts.size());
  out += '|';
  for (const auto& d : districts) part(out, d);
  part(out, params);
  return out;
}

BoardViewCache::BoardViewCache(Limits limits) : limits_(limits) {}

common::Result<BoardViewCache::Body> BoardViewCache::get(const BoardViewKey& key, uint64_t wanted,
                                                         uint64_t current, int64_t nowMs,
                                                         const Render& render) {
  const std::string k = key.text();
  std::unique_lock<std::mutex> lock(mutex_);
  // A version beyond the watch's (a page still holding the version of a board that restarted)
  // cannot be promised by any render: render afresh, as without `v`.
  const bool fromCache = wanted != 0 && wanted <= current;
  while (fromCache) {
    auto it = entries_.find(k);
    if (it == entries_.end()) break;
    Entry& e = it->second;
    if (e.body && e.version >= wanted && nowMs - e.renderedAtMs <= limits_.maxAgeMs) {
      ++hits_;
      e.lastUse = ++useClock_;
      return e.body;
    }
    if (e.renderingVersion < wanted) break;
    rendered_.wait(lock);  // another viewer is rendering a version that covers ours
  }
  ++renders_;
  if (fromCache) {
    Entry& e = entries_[k];
    e.renderingVersion = std::max(e.renderingVersion, current);
  }
  lock.unlock();

  // Whatever happens in render(), the mark goes and the waiters wake (they then render).
  struct Done {
    BoardViewCache& cache;
    const std::string& k;
    uint64_t current;
    bool marked;
    ~Done() {
      if (!marked) return;
      std::lock_guard<std::mutex> guard(cache.mutex_);
      auto it = cache.entries_.find(k);
      if (it != cache.entries_.end()) {
        if (it->second.renderingVersion == current) it->second.renderingVersion = 0;
        if (!it->second.body && it->second.renderingVersion == 0) cache.entries_.erase(it);
      }
      cache.rendered_.notify_all();
    }
  } done{*this, k, current, fromCache};

  auto text = render();
  if (!text) return text.error();
  Body body = std::make_shared<const std::string>(std::move(text).value());
  store(k, body, current, nowMs);
  return body;
}

void BoardViewCache::store(const std::string& key, Body body, uint64_t version, int64_t nowMs) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (body->size() > limits_.maxBytes) return;
  Entry& e = entries_[key];
  // Keep a newer answer than ours (a later version rendered meanwhile).
  if (e.body && (e.version > version || (e.version == version && e.renderedAtMs > nowMs))) return;
  if (e.body) bytes_ -= e.body->size();
  bytes_ += body->size();
  e.body = std::move(body);
  e.version = version;
  e.renderedAtMs = nowMs;
  e.lastUse = ++useClock_;
  evictOver(limits_.maxBytes, key);
}

void BoardViewCache::evictOver(size_t maxBytes, const std::string& keep) {
  while (bytes_ > maxBytes) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == keep || !it->second.body) continue;
      if (victim == entries_.end() || it->second.lastUse < victim->second.lastUse) victim = it;
    }
    if (victim == entries_.end()) return;
    bytes_ -= victim->second.body->size();
    if (victim->second.renderingVersion != 0) {
      victim->second.body.reset();  // a render under way still needs the entry
    } else {
      entries_.erase(victim);
    }
  }
}

BoardViewCache::Stats BoardViewCache::stats() const {
  std::lock_guard<std::mutex> guard(mutex_);
  Stats s;
  s.hits = hits_;
  s.renders = renders_;
  s.bytes = bytes_;
  s.entries = entries_.size();
  return s;
}

}  // namespace samband::broker
