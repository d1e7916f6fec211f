// BoardViewCache: the board's read answers (/api/picture, units, providers, capacity, seats)
// rendered once per picture version and served as the same bytes to every viewer who asks for
// that version, instead of being rebuilt by each of hundreds of viewers on every change event.
// Used by board_picture_routes.cpp; docs/performance.md ("The board under many viewers").
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

namespace samband::broker {

// What a cached answer must not be shared across. `route` names the document, `role` and
// `districts` the viewer (a district-limited user's answers never reach anyone else's key),
// `params` the request's filters as the route parsed them (mode, form, year, district, ...).
// A request for a past moment (as_of) is never cached.
struct BoardViewKey {
  std::string route;
  std::string role;
  std::vector<std::string> districts;  // the session's scope, sorted; empty: every district
  std::string params;

  std::string text() const;  // one string, unambiguous (lengths before every part)
};

class BoardViewCache {
 public:
  struct Limits {
    size_t maxBytes = 64u << 20;  // all cached answers together; the oldest go first
    // Answers carry generated_at and report ages computed when rendered: an answer older than
    // this is rendered again even for its version, so ages lag by at most this much.
    int64_t maxAgeMs = 2000;
  };
  explicit BoardViewCache(Limits limits);
  BoardViewCache() : BoardViewCache(Limits{}) {}
  BoardViewCache(const BoardViewCache&) = delete;
  BoardViewCache& operator=(const BoardViewCache&) = delete;

  using Body = std::shared_ptr<const std::string>;
  using Render = std::function<common::Result<std::string>()>;

  // The answer for `key` at picture version `wanted` or newer (the `?v=N` of a change event).
  // `current` must be ChangeWatch::version() read *before* this call: a render started now sees
  // every change that version stands for, so it is stored under `current` and served to whoever
  // asks for `current` or older. When no answer that new (and younger than maxAgeMs at `nowMs`)
  // is cached, one caller renders it while the others asking for the same key and a version it
  // covers wait for its bytes. `wanted == 0` (no `v`) always renders afresh (and stores the
  // result). Errors: those of `render`, never cached. Thread-safe.
  common::Result<Body> get(const BoardViewKey& key, uint64_t wanted, uint64_t current,
                           int64_t nowMs, const Render& render);

  struct Stats {
    uint64_t hits = 0;     // answered from the cache (including after waiting for a render)
    uint64_t renders = 0;  // rendered by a caller
    size_t bytes = 0;      // held now
    size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    Body body;
    uint64_t version = 0;
    int64_t renderedAtMs = 0;
    uint64_t renderingVersion = 0;  // a caller is rendering this key at that version; 0: none
    uint64_t lastUse = 0;
  };
  void store(const std::string& key, Body body, uint64_t version, int64_t nowMs);
  void evictOver(size_t maxBytes, const std::string& keep);

  Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable rendered_;
  std::map<std::string, Entry> entries_;
  size_t bytes_ = 0;
  uint64_t useClock_ = 0;
  uint64_t hits_ = 0;
  uint64_t renders_ = 0;
};

}  // namespace samband::broker
