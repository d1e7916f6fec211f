// See board.h: /api/events, the live stream (Server-Sent Events). Each stream waits on the
// ChangeWatch, sends "change" when the picture moved and a ping at every heartbeat, and ends
// with "logout" when its session is gone. Streams are capped per session, per client address and
// in all (half the worker threads), so one session or one address cannot hold every slot.
#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "broker/board/board.h"
#include "broker/board/board_http.h"
#include "common/clock.h"
#include "common/log.h"

namespace samband::broker {

using nlohmann::json;

void Board::events(const httplib::Request& req, httplib::Response& res) {
  // One reservation under one lock, so that simultaneous requests cannot all pass the caps.
  const std::string token = cookieValue(req, kSessionCookie);
  std::string sessionKey(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(sessionKey.data()), sessionKey.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  const std::string addr = req.remote_addr;
  const int maxStreams = std::max(1, options_.threads / 2);
  auto countOf = [](const std::map<std::string, int>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
  };
  {
    std::lock_guard<std::mutex> lock(streamsMutex_);
    if (countOf(streamsBySession_, sessionKey) >= options_.streamsPerSession) {
      counters_.streamsRefusedPerSession++;
      res.set_header("Retry-After", "10");
      return problem(res, 429, "too_many_streams",
                     "This login already has " + std::to_string(options_.streamsPerSession) +
                         " live board pages open ([board] streams_per_session); close one of "
                         "them, or log in separately on the other screen");
    }
    if (countOf(streamsByAddress_, addr) >= options_.streamsPerAddress) {
      counters_.streamsRefusedPerAddress++;
      res.set_header("Retry-After", "10");
      return problem(res, 429, "too_many_streams",
                     "Your address already has " + std::to_string(options_.streamsPerAddress) +
                         " live board pages open ([board] streams_per_address); close some, or "
                         "ask the administrator to raise the limit (needed behind a proxy)");
    }
    if (streams_ >= maxStreams) {
      counters_.streamsRefusedTotal++;
      res.set_header("Retry-After", "10");
      return problem(res, 503, "too_many_streams",
                     "Too many live board pages are open (" + std::to_string(maxStreams) +
                         "); close some, or raise [board] threads");
    }
    streamsBySession_[sessionKey]++;
    streamsByAddress_[addr]++;
    streams_++;
  }
  metrics_.sseClients++;
  auto releaseSlot = [this, sessionKey, addr](bool) {
    metrics_.sseClients--;
    std::lock_guard<std::mutex> lock(streamsMutex_);
    if (--streamsBySession_[sessionKey] <= 0) streamsBySession_.erase(sessionKey);
    if (--streamsByAddress_[addr] <= 0) streamsByAddress_.erase(addr);
    streams_--;
  };
  struct Stream {
    uint64_t seen = 0;
    int64_t lastBeatMs = 0;
    bool greeted = false;
    std::string token;
  };
  auto stream = std::make_shared<Stream>();
  stream->token = token;
  stream->lastBeatMs = common::monotonicMs();
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // nginx: pass events through at once
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, stream](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& text) { return sink.write(text.data(), text.size()); };
        if (!stream->greeted) {
          stream->greeted = true;
          stream->seen = watch_.version();
          return send("retry: 2000\n\nevent: hello\ndata: " +
                      json{{"version", stream->seen}, {"frame_id", watch_.lastFrameId()}}.dump() +
                      "\n\n");
        }
        const int64_t beat = heartbeatMs_.load();
        int64_t untilBeat = std::max<int64_t>(0, stream->lastBeatMs + beat - common::monotonicMs());
        uint64_t v = watch_.waitBeyond(stream->seen, std::chrono::milliseconds(untilBeat));
        if (watch_.isStopping()) {
          sink.done();
          return true;
        }
        if (v > stream->seen) {
          stream->seen = v;
          return send("event: change\ndata: " +
                      json{{"version", v}, {"frame_id", watch_.lastFrameId()}}.dump() + "\n\n");
        }
        if (common::monotonicMs() - stream->lastBeatMs < beat) return true;
        stream->lastBeatMs = common::monotonicMs();
        // The session may have ended (logout, expiry, user removed) while the stream was open.
        bool live = false;
        try {
          auto lease = readPool_.acquire();
          if (!lease) {
            live = false;
          } else if (auto found = Sessions(**lease).find(stream->token, clock_.nowMs()); !found) {
            live = true;  // a database hiccup is not a logout; the next beat checks again
          } else {
            live = found->has_value();
          }
        } catch (const std::exception&) {
          live = true;  // a database hiccup is not a logout; the next beat checks again
        }
        if (!live) {
          send("event: logout\ndata: {}\n\n");
          sink.done();
          return true;
        }
        // A comment keeps proxies from closing the stream; the ping lets the page notice a
        // stream that died silently (EventSource hides comments from scripts).
        return send(": keepalive " + common::formatRfc3339(clock_.nowMs()) +
                    "\nevent: ping\ndata: {}\n\n");
      },
      releaseSlot);
}

}  // namespace samband::broker
