// See upstream_relay.h.
#include "broker/replication/upstream_relay.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <zmq_addon.hpp>

#include "broker/replication/pull_protocol.h"
#include "broker/replication/rollup_protocol.h"
#include "broker/replication/rollup_verifier.h"
#include "broker/store/replication_store.h"
#include "broker/store/rollup_store.h"
#include "broker/store/write_transaction.h"
#include "common/batch_envelope.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/log.h"

namespace samband::broker {

namespace {

constexpr int kPollMs = 50;
// Frames read per pull at most (relayed or not): bounds the work of one answer when a chain
// holds long runs of frames that are not relayed.
constexpr size_t kMaxScanPerPull = 20'000;

std::string toString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

std::string chainKey(const std::string& sender, const std::string& keyId) {
  return sender + '\x1f' + keyId;
}

// The highest seq in a stored frame (an envelope or a batch) and whether it is relayed upward
// (a batch: when any of its reports is). nullopt when it does not decode (never relayed).
struct FrameFacts {
  uint64_t lastSeq = 0;
  bool relayed = false;
};
std::optional<FrameFacts> factsOf(const common::Bytes& frame) {
  FrameFacts f;
  if (common::isBatchFrame(frame)) {
    auto parts = common::decodeBatch(frame);
    if (!parts) return std::nullopt;
    for (const auto& body : parts->bodies) {
      auto m = common::decodeBody(body);
      if (!m) return std::nullopt;
      f.lastSeq = std::max(f.lastSeq, m->seq);
      f.relayed = f.relayed || isRelayedUpward(*m);
    }
    return f;
  }
  auto parts = common::decodeEnvelope(frame);
  if (!parts) return std::nullopt;
  auto m = common::decodeBody(parts->body);
  if (!m) return std::nullopt;
  f.lastSeq = m->seq;
  f.relayed = isRelayedUpward(*m);
  return f;
}

}  // namespace

UpstreamRelay::UpstreamRelay(const UpstreamOptions& options, const std::string& databasePath,
                             const common::Identity& city, const common::Clock& clock,
                             Metrics& metrics)
    : options_(options),
      databasePath_(databasePath),
      city_(city),
      clock_(clock),
      metrics_(metrics) {
  metrics_.upstreamConfigured = options_.enabled() ? 1 : 0;
}

UpstreamRelay::~UpstreamRelay() { stop(); }

void UpstreamRelay::start() {
  thread_ = std::thread([this] { run(); });
}

void UpstreamRelay::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void UpstreamRelay::run() {
  auto store = Store::open(databasePath_, Store::Access::readWrite);
  if (!store) {
    common::logError("rollup", "cannot open the database: " + store.error().message +
                                   "; nothing is relayed to " + options_.broker);
    return;
  }
  ReplicationStore rs(**store);
  RollupStore rollup(**store);

  auto connect = [&]() {
    auto s = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(options_.curvePublic.data(), 32));
    s->set(zmq::sockopt::curve_publickey, zmq::const_buffer(city_.curvePublic().data(), 32));
    s->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(city_.curveSecret(), 32));
    s->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxPullRequestBytes + 4096));
    s->connect(options_.broker);
    const std::string hello = "{}";
    std::array<zmq::const_buffer, 2> out{zmq::buffer(std::string_view(kRelayHelloTag)),
                                         zmq::buffer(hello)};
    (void)zmq::send_multipart(*s, out, zmq::send_flags::dontwait);
    return s;
  };

  // Where the last scan of each chain stopped, for the head the upstream named then: frames
  // that are not relayed are not read again on every pull.
  struct Scanned {
    uint64_t theirs = 0;
    uint64_t to = 0;
  };
  std::unordered_map<std::string, Scanned> scanned;

  auto answer = [&](zmq::socket_t& socket, const PullRequest& request, bool mayPark) -> bool {
    std::unordered_set<std::string> skipped;
    for (const auto& [sender, key] : request.skip) skipped.insert(chainKey(sender, key));
    std::unordered_map<std::string, uint64_t> theirs;
    for (const auto& h : request.heads) theirs[chainKey(h.sender, h.keyId)] = h.seq;
    auto tips = rs.chainTips();
    if (!tips) {
      common::logWarn("rollup", "cannot read the archive: " + tips.error().message);
      return true;
    }
    // The city's records first: the upstream needs the enrolments before the reports.
    std::stable_partition(tips->begin(), tips->end(),
                          [](const ChainTip& t) { return t.sender == common::kCitySenderId; });
    std::vector<common::Bytes> out;
    size_t bytes = 0;
    size_t reads = 0;
    uint64_t remaining = 0;
    for (const auto& tip : *tips) {
      const std::string chain = chainKey(tip.sender, tip.keyId);
      auto it = theirs.find(chain);
      const uint64_t have = it == theirs.end() ? 0 : it->second;
      if (tip.seq <= have || skipped.count(chain) > 0) continue;
      uint64_t from = have;
      if (auto s = scanned.find(chain); s != scanned.end() && s->second.theirs == have) {
        from = std::max(from, s->second.to);
      }
      while (from < tip.seq && out.size() < request.maxFrames && bytes < kMaxAnswerBytes &&
             reads < kMaxScanPerPull) {
        auto envs = rs.envelopesAfter(tip.sender, tip.keyId, from, 256, kMaxAnswerBytes - bytes);
        if (!envs) {
          common::logWarn("rollup", "cannot read the archive: " + envs.error().message);
          return true;
        }
        if (envs->empty()) break;
        for (auto& e : *envs) {
          reads++;
          auto facts = factsOf(e);
          if (!facts) continue;
          from = std::max(from, facts->lastSeq);
          if (!facts->relayed) continue;
          bytes += e.size();
          out.push_back(std::move(e));
          if (out.size() >= request.maxFrames || bytes >= kMaxAnswerBytes) break;
        }
      }
      scanned[chain] = Scanned{have, from};
      if (tip.seq > from) remaining += tip.seq - from;
    }
    if (out.empty() && mayPark) return false;  // held until new frames or the wait ends

    LivenessSummary summary;
    summary.keyIdHex = common::toHex(city_.keyId());
    const int64_t now = clock_.nowMs();
    summary.at = now;
    if (auto seen = rollup.providerLastSeen()) {
      for (const auto& [id, last] : *seen) {
        summary.providers.emplace_back(
            id, last ? std::optional<int64_t>(std::max<int64_t>(0, now - *last)) : std::nullopt);
      }
    }
    const std::string liveness = encodeLiveness(summary);
    const common::Bytes signature = signLiveness(city_, liveness);
    const std::string meta = encodeAnswerMeta(remaining);
    std::vector<zmq::const_buffer> parts;
    parts.push_back(zmq::buffer(std::string_view(kRelayAnswerTag)));
    parts.push_back(zmq::buffer(meta));
    parts.push_back(zmq::buffer(liveness));
    parts.push_back(zmq::buffer(signature.data(), signature.size()));
    for (const auto& e : out) parts.push_back(zmq::buffer(e.data(), e.size()));
    if (zmq::send_multipart(socket, parts, zmq::send_flags::dontwait)) {
      metrics_.upstreamFramesRelayed += out.size();
    }
    metrics_.upstreamBehindFrames = static_cast<int64_t>(remaining);
    return true;
  };

  auto socket = connect();
  int64_t lastHeard = common::monotonicMs();
  bool silentLogged = false;
  std::optional<PullRequest> parked;
  int64_t parkedUntil = 0;
  int64_t lastVersion = -1;
  while (!stopping_) {
    zmq::pollitem_t items[] = {{socket->handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(kPollMs));
    const int64_t mono = common::monotonicMs();
    if (items[0].revents & ZMQ_POLLIN) {
      std::vector<zmq::message_t> parts;
      if (zmq::recv_multipart(*socket, std::back_inserter(parts), zmq::recv_flags::dontwait) &&
          parts.size() == 2 && toString(parts[0]) == kPullRequestTag) {
        auto request = decodePullRequest(toString(parts[1]));
        if (!request) {
          common::logWarn("rollup",
                          "the upstream sent a malformed pull: " + request.error().message);
        } else {
          lastHeard = mono;
          metrics_.upstreamConnected = 1;
          metrics_.upstreamLastPullMs = clock_.nowMs();
          if (silentLogged) {
            common::logInfo("rollup", "the upstream " + options_.broker + " pulls again");
            silentLogged = false;
          }
          parked.reset();
          if (!answer(*socket, *request, request->waitMs > 0)) {
            parked = *request;
            parkedUntil = mono + std::min(request->waitMs, kMaxPullWaitMs);
          }
        }
      } else {
        common::logWarn("rollup", "ignored a message from the upstream that is not a pull");
      }
    }
    if (parked) {
      auto version = dataVersion(**store);
      const bool changed = version && *version != lastVersion;
      if (version) lastVersion = *version;
      if (changed || mono >= parkedUntil) {
        if (answer(*socket, *parked, mono < parkedUntil)) parked.reset();
      }
    }
    if (mono - lastHeard > options_.helloAfterMs) {
      if (!silentLogged) {
        common::logWarn("rollup", "the upstream " + options_.broker +
                                      " does not pull; saying hello again until it does (check "
                                      "that it runs and that this city is enrolled there)");
        silentLogged = true;
      }
      metrics_.upstreamConnected = 0;
      parked.reset();
      socket = connect();
      lastHeard = mono;
    }
  }
}

}  // namespace samband::broker
