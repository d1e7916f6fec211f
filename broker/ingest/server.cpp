// See server.h. Thread map:
//   socket thread : ROUTER (CURVE server), reply PULL, monitor PAIR  — the only user of each
//   zap thread    : REP on inproc://zeromq.zap.01
//   verify threads: Ingress::admit, one queue each; a provider always maps to the same thread,
//                   so its frames keep their order
//   commit thread : Committer (the only database writer), reply PUSH
#include "broker/ingest/server.h"

#include <pthread.h>

#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_set>
#include <zmq_addon.hpp>

#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/log.h"

namespace samband::broker {

namespace {

constexpr const char* kReplyEndpoint = "inproc://samband-replies";
constexpr const char* kMonitorEndpoint = "inproc://samband-router-monitor";
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr int kPollMs = 100;
constexpr int kAckHoldPollMs = 5;
// How often the database thread looks for newly queued city messages to push.
constexpr int64_t kPushOutboundMs = 250;
constexpr int64_t kMaxMessageBytes = 1024 * 1024;
// Frames verified on one thread are handed to the database thread in groups of at most this
// many: one lock and one wake-up per group, yet the committer never waits for a whole burst.
constexpr size_t kInlineHandOff = 32;

// Names the calling thread (at most 15 characters) so per-thread CPU in /proc/PID/task/*/stat,
// top -H and perf say which part of ingest spent it (docs/performance.md, "Reconnect wave").
void nameThread(const char* name) { pthread_setname_np(pthread_self(), name); }

bool equals(const zmq::message_t& m, std::string_view text) {
  return m.size() == text.size() && std::memcmp(m.data(), text.data(), text.size()) == 0;
}

std::string toString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

}  // namespace

Server::Server(ServerOptions options, const common::Identity& city, const common::Clock& clock,
               Metrics& metrics)
    : options_(std::move(options)), city_(city), clock_(clock), metrics_(metrics), context_(2) {}

Server::~Server() { stop(); }

common::Status Server::start() {
  auto store = Store::open(options_.databasePath, Store::Access::readWrite);
  if (!store) return store.error();
  // Issue 16: the log is copied into the database file beside the commit thread, not in it.
  if (options_.backgroundCheckpoints) {
    auto checkpointer = WalCheckpointer::start(options_.databasePath);
    if (!checkpointer) return checkpointer.error();
    walCheckpointer_ = std::move(checkpointer).value();
    // The commit thread closes the writer before stop() destroys the checkpointer.
    if (auto s = walCheckpointer_->watchWriter(**store); !s) return s;
  }
  roster_ = std::make_unique<RosterCache>(options_.databasePath, clock_);
  ingress_ = std::make_unique<Ingress>(*roster_, clock_, &metrics_);

  auto zap = std::make_shared<zmq::socket_t>(context_, zmq::socket_type::rep);
  zap->set(zmq::sockopt::linger, 0);
  zap->bind(kZapEndpoint);

  auto router = std::make_shared<zmq::socket_t>(context_, zmq::socket_type::router);
  router->set(zmq::sockopt::linger, 0);
  router->set(zmq::sockopt::curve_server, 1);
  router->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(city_.curveSecret(), 32));
  router->set(zmq::sockopt::zap_domain, "samband");
  router->set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
  router->set(zmq::sockopt::rcvhwm, 100000);
  router->set(zmq::sockopt::sndhwm, 100000);
  router->set(zmq::sockopt::backlog, 4096);
  router->set(zmq::sockopt::handshake_ivl, options_.handshakeTimeoutMs);
  try {
    router->bind(options_.listen);
  } catch (const zmq::error_t& e) {
    return common::unavailable("cannot listen on " + options_.listen + ": " + e.what() +
                               " (is another broker running? change [broker] listen)");
  }
  endpoint_ = router->get(zmq::sockopt::last_endpoint);
  zmq_socket_monitor(router->handle(), kMonitorEndpoint,
                     ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);

  size_t workers = static_cast<size_t>(std::max(0, options_.verifyThreads));
  for (size_t i = 0; i < workers; ++i) {
    verifyQueues_.push_back(std::make_unique<WorkQueue<InboundFrame>>());
  }
  started_ = true;
  socketBeatMs_ = common::monotonicMs();
  commitBeatMs_ = common::monotonicMs();
  zapThread_ = std::thread([this, zap] { zapLoop(zap); });
  for (size_t i = 0; i < workers; ++i) verifyThreads_.emplace_back([this, i] { verifyLoop(i); });
  commitThread_ =
      std::thread([this, s = std::move(store).value()]() mutable { commitLoop(std::move(s)); });
  socketThread_ = std::thread([this, router] { socketLoop(router); });
  return {};
}

bool Server::isResponsive(int64_t monotonicNowMs, int64_t maxSilenceMs) const {
  return started_ && monotonicNowMs - socketBeatMs_.load() <= maxSilenceMs &&
         monotonicNowMs - commitBeatMs_.load() <= maxSilenceMs;
}

void Server::stop() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  if (socketThread_.joinable()) socketThread_.join();
  if (zapThread_.joinable()) zapThread_.join();
  for (auto& q : verifyQueues_) q->close();
  for (auto& t : verifyThreads_) t.join();
  verifyThreads_.clear();
  commitQueue_.close();
  if (commitThread_.joinable()) commitThread_.join();
  walCheckpointer_.reset();
  context_.shutdown();
}

void Server::zapLoop(std::shared_ptr<zmq::socket_t> zap) {
  nameThread("ingest-zap");
  // ZAP (RFC 27): admit a CURVE client only if its key is enrolled and not revoked; the reply's
  // user id is the provider id, which every frame of the session then carries as "User-Id".
  // The lookup is in the in-memory roster (no database access per handshake; a key not found is
  // looked up again after a reload at most every 250 ms, so a key enrolled a moment ago works).
  // Every request already queued is answered per wake-up: in a reconnect wave thousands arrive
  // at once, and one poll per request was most of this thread's CPU.
  zmq::pollitem_t items[] = {{zap->handle(), 0, ZMQ_POLLIN, 0}};
  std::vector<zmq::message_t> parts;
  while (!stopping_) {
    zmq::poll(items, 1, std::chrono::milliseconds(kPollMs));
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    while (!stopping_) {
      parts.clear();
      if (!zmq::recv_multipart(*zap, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
      answerZap(*zap, parts);
    }
  }
}

void Server::answerZap(zmq::socket_t& zap, const std::vector<zmq::message_t>& parts) {
  const zmq::message_t empty;
  const zmq::message_t& version = parts.size() > 0 ? parts[0] : empty;
  const zmq::message_t& requestId = parts.size() > 1 ? parts[1] : empty;
  const bool wellFormed = parts.size() >= 7 && equals(version, "1.0") &&
                          equals(parts[5], "CURVE") && parts[6].size() == 32;
  std::string status = "400";
  std::string text = "key not enrolled";
  std::string userId;
  if (wellFormed) {
    // keyByCurve is keyed by the 32 raw bytes of the transport key.
    const std::string curve(static_cast<const char*>(parts[6].data()), parts[6].size());
    auto snap = roster_->current();
    auto it = snap->keyByCurve.find(curve);
    if (it == snap->keyByCurve.end()) {
      roster_->refreshIfOlder(250);
      snap = roster_->current();
      it = snap->keyByCurve.find(curve);
    }
    if (it != snap->keyByCurve.end()) {
      const KeyRecord& key = snap->keys.at(it->second);
      if (key.revokedAt && clock_.nowMs() >= *key.revokedAt) {
        text = "key revoked";
      } else {
        status = "200";
        text = "OK";
        userId = key.providerId;
      }
    }
  }
  if (status != "200") {
    commitQueue_.push(WorkItem{"", Refusal{common::RejectReason::UNKNOWN_SENDER,
                                           "handshake refused: " + text, "", "", 0}});
  }
  std::array<zmq::const_buffer, 6> reply{zmq::buffer(version.data(), version.size()),
                                         zmq::buffer(requestId.data(), requestId.size()),
                                         zmq::buffer(status),
                                         zmq::buffer(text),
                                         zmq::buffer(userId),
                                         zmq::const_buffer()};
  zmq::send_multipart(zap, reply);
}

void Server::dispatch(InboundFrame&& frame, Burst& burst) {
  if (commitQueue_.size() + burst.toCommit.size() > options_.maxQueuedFrames) {
    burst.toCommit.push_back(WorkItem{
        std::move(frame.routingId),
        Refusal{common::RejectReason::OVERLOADED, "broker overloaded; resend later", "", "", 0}});
    return;
  }
  if (verifyQueues_.empty()) {
    admitInto(std::move(frame), burst.toCommit);
    // Verifying inline takes ~50 us a frame: hand on what is ready rather than a whole burst.
    if (burst.toCommit.size() >= kInlineHandOff) commitQueue_.pushAll(burst.toCommit);
    return;
  }
  // The same provider always goes to the same verify thread, so its frames stay in order.
  size_t index = std::hash<std::string>{}(frame.transportProvider) % verifyQueues_.size();
  burst.toVerify[index].push_back(std::move(frame));
}

void Server::admitInto(InboundFrame&& frame, std::vector<WorkItem>& out) {
  std::string routingId = frame.routingId;
  if (!common::isBatchFrame(frame.data)) {
    out.push_back(WorkItem{std::move(routingId), ingress_->admit(std::move(frame))});
    return;
  }
  // A batch (issue 16): verified once, then one item per report, in seq order.
  for (auto& admission : ingress_->admitBatch(std::move(frame))) {
    out.push_back(WorkItem{routingId, std::move(admission)});
  }
}

void Server::flush(Burst& burst) {
  commitQueue_.pushAll(burst.toCommit);
  for (size_t i = 0; i < burst.toVerify.size(); ++i) verifyQueues_[i]->pushAll(burst.toVerify[i]);
}

void Server::verifyLoop(size_t index) {
  nameThread("ingest-verify");
  auto& queue = *verifyQueues_[index];
  std::vector<InboundFrame> batch;
  std::vector<WorkItem> admitted;
  while (true) {
    batch.clear();
    if (!queue.popBatch(batch, 256, std::chrono::milliseconds(kPollMs))) break;
    for (auto& frame : batch) {
      admitInto(std::move(frame), admitted);
      if (admitted.size() >= kInlineHandOff) commitQueue_.pushAll(admitted);
    }
    commitQueue_.pushAll(admitted);
  }
}

void Server::commitLoop(std::unique_ptr<Store> store) {
  nameThread("ingest-commit");
  Committer committer(*store, clock_, metrics_,
                      CommitterCity{&city_, options_.checkpoints, options_.beaconPeriodMs});
  zmq::socket_t push(context_, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.set(zmq::sockopt::sndhwm, 0);
  push.connect(kReplyEndpoint);
  std::vector<WorkItem> batch;
  int64_t lastRefresh = common::monotonicMs();
  int64_t lastPush = 0;
  while (true) {
    commitBeatMs_ = common::monotonicMs();
    batch.clear();
    // Held acks are released between batches: come round often while a peer ack is configured.
    const int waitMs = options_.ackHold != nullptr ? kAckHoldPollMs : kPollMs;
    bool open = commitQueue_.popBatch(batch, options_.batchMax, std::chrono::milliseconds(waitMs));
    if (!batch.empty() && options_.batchDelayMs > 0 && batch.size() < options_.batchMax) {
      commitQueue_.popBatch(batch, options_.batchMax,
                            std::chrono::milliseconds(options_.batchDelayMs));
    }
    auto send = [&](const std::vector<Reply>& replies) {
      for (const auto& reply : replies) {
        std::array<zmq::const_buffer, 2> parts{zmq::buffer(reply.routingId),
                                               zmq::buffer(reply.downlink)};
        zmq::send_multipart(push, parts, zmq::send_flags::dontwait);
      }
    };
    if (!batch.empty()) {
      if (options_.ackHold != nullptr) {
        send(options_.ackHold->hold(committer.apply(batch)));
      } else {
        send(committer.apply(batch));
      }
    }
    if (options_.ackHold != nullptr) send(options_.ackHold->due());
    if (common::monotonicMs() - lastPush >= kPushOutboundMs) {
      send(committer.pushNewOutbound());
      lastPush = common::monotonicMs();
    }
    if (common::monotonicMs() - lastRefresh > options_.rosterRefreshMs) {
      roster_->refreshIfOlder(options_.rosterRefreshMs);
      lastRefresh = common::monotonicMs();
    }
    if (!open) break;
  }
}

void Server::socketLoop(std::shared_ptr<zmq::socket_t> router) {
  nameThread("ingest-socket");
  zmq::socket_t replies(context_, zmq::socket_type::pull);
  replies.set(zmq::sockopt::linger, 0);
  replies.set(zmq::sockopt::rcvhwm, 0);
  replies.bind(kReplyEndpoint);
  zmq::socket_t monitor(context_, zmq::socket_type::pair);
  monitor.set(zmq::sockopt::linger, 0);
  monitor.connect(kMonitorEndpoint);
  std::unordered_set<uint32_t> connected;

  zmq::pollitem_t items[] = {{router->handle(), 0, ZMQ_POLLIN, 0},
                             {replies.handle(), 0, ZMQ_POLLIN, 0},
                             {monitor.handle(), 0, ZMQ_POLLIN, 0}};
  common::RateLimiter warnLimit(5);
  Burst burst;
  burst.toVerify.resize(verifyQueues_.size());
  while (!stopping_) {
    socketBeatMs_ = common::monotonicMs();
    zmq::poll(items, 3, std::chrono::milliseconds(kPollMs));
    if (items[0].revents & ZMQ_POLLIN) {
      // Read a bounded burst so replies are not starved under load.
      for (int i = 0; i < 1024; ++i) {
        zmq::message_t id;
        if (!router->recv(id, zmq::recv_flags::dontwait)) break;
        std::vector<zmq::message_t> rest;
        bool more = id.more();
        while (more) {
          zmq::message_t part;
          if (!router->recv(part, zmq::recv_flags::none)) break;
          more = part.more();
          rest.push_back(std::move(part));
        }
        InboundFrame frame;
        frame.routingId = toString(id);
        frame.receivedAt = clock_.nowMs();
        if (rest.size() != 1) {
          burst.toCommit.push_back(
              WorkItem{std::move(frame.routingId),
                       Refusal{common::RejectReason::MALFORMED,
                               "a frame must be exactly one message part", "", "", 0}});
          continue;
        }
        const char* user = rest[0].gets("User-Id");
        frame.transportProvider = user ? user : "";
        auto* p = static_cast<const uint8_t*>(rest[0].data());
        frame.data.assign(p, p + rest[0].size());
        dispatch(std::move(frame), burst);
      }
      flush(burst);
    }
    if (items[1].revents & ZMQ_POLLIN) {
      for (int i = 0; i < 4096; ++i) {
        std::vector<zmq::message_t> parts;
        if (!zmq::recv_multipart(replies, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
          break;
        }
        if (parts.size() != 2) continue;
        try {
          router->send(parts[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait);
          router->send(parts[1], zmq::send_flags::dontwait);
        } catch (const zmq::error_t& e) {
          uint64_t suppressed = 0;
          if (warnLimit.allow(clock_.nowMs(), &suppressed)) {
            common::logWarn("socket", std::string("reply not sent: ") + e.what());
          }
        }
      }
    }
    if (items[2].revents & ZMQ_POLLIN) {
      while (true) {
        std::vector<zmq::message_t> ev;
        if (!zmq::recv_multipart(monitor, std::back_inserter(ev), zmq::recv_flags::dontwait)) {
          break;
        }
        if (ev.empty() || ev[0].size() < 6) continue;
        uint16_t event;
        uint32_t value;
        std::memcpy(&event, ev[0].data(), 2);
        std::memcpy(&value, static_cast<const char*>(ev[0].data()) + 2, 4);
        // ACCEPTED and DISCONNECTED carry the connection's descriptor; HANDSHAKE_SUCCEEDED
        // carries 0, so the gauge counts open connections (one still in its handshake counts
        // for at most handshakeTimeoutMs) and handshakes are counted on their own.
        if (event == ZMQ_EVENT_ACCEPTED) connected.insert(value);
        if (event == ZMQ_EVENT_DISCONNECTED) connected.erase(value);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) metrics_.handshakes++;
        metrics_.connectedAgents = static_cast<int64_t>(connected.size());
      }
    }
  }
  zmq_socket_monitor(router->handle(), nullptr, 0);
  router->close();
}

}  // namespace samband::broker
