// See responder.h.
#include "broker/replication/responder.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <zmq_addon.hpp>

#include "broker/replication/pull_protocol.h"
#include "broker/store/accounts_store.h"
#include "broker/store/replication_store.h"
#include "broker/store/write_transaction.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/log.h"

namespace samband::broker {

namespace {

constexpr int kPollMs = 20;
constexpr int64_t kStatusEveryMs = 1000;

std::string toString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

std::string chainKey(const std::string& sender, const std::string& keyId) {
  return sender + '\x1f' + keyId;
}

// What the archive holds beyond `heads`: the first `limit` envelopes (per chain in seq order)
// and the number of frames in all.
struct Beyond {
  uint64_t frames = 0;
  std::vector<common::Bytes> envelopes;
  size_t cityEnvelopes = 0;  // the first ones: the city's chains come first
};

// The password hashes the account records among `cityEnvelopes` name, as this broker keeps
// them: they travel beside the frames, never in the archive (docs/decisions/0014-*).
std::vector<std::string> accountHashes(Store& store, const std::vector<common::Bytes>& envelopes,
                                       size_t cityEnvelopes) {
  std::vector<std::string> out;
  for (size_t i = 0; i < cityEnvelopes && i < envelopes.size(); ++i) {
    auto parts = common::decodeEnvelope(envelopes[i]);
    if (!parts) continue;
    auto body = common::decodeBody(parts->body);
    if (!body || !body->isAccount()) continue;
    const auto& account = std::get<common::AccountMsg>(body->payload);
    if (account.action != common::AccountAction::SET) continue;
    auto hash = AccountsStore(store).hashFor(account.passwordDigest);
    if (hash && *hash && out.size() < kMaxAnswerHashes) out.push_back(**hash);
  }
  return out;
}

common::Result<Beyond> beyond(ReplicationStore& rs, const std::vector<PullHead>& heads,
                              size_t limit,
                              const std::vector<std::pair<std::string, std::string>>& skip = {}) {
  std::unordered_set<std::string> skipped;
  for (const auto& [sender, key] : skip) skipped.insert(chainKey(sender, key));
  std::unordered_map<std::string, uint64_t> theirs;
  theirs.reserve(heads.size());
  for (const auto& h : heads) theirs[chainKey(h.sender, h.keyId)] = h.seq;
  auto tips = rs.chainTips();
  if (!tips) return tips.error();
  // The city's chains first: a provider's answer or acknowledgement then reaches the puller with
  // or after the check or directive it answers, and the roster records before the frames of the
  // keys they enrol (docs/replication.md).
  std::stable_partition(tips->begin(), tips->end(),
                        [](const ChainTip& t) { return t.sender == common::kCitySenderId; });
  Beyond out;
  size_t bytes = 0;
  for (const auto& tip : *tips) {
    auto it = theirs.find(chainKey(tip.sender, tip.keyId));
    const uint64_t have = it == theirs.end() ? 0 : it->second;
    if (tip.seq <= have) continue;
    out.frames += tip.seq - have;
    if (out.envelopes.size() >= limit || bytes >= kMaxAnswerBytes) continue;
    if (!skipped.empty() && skipped.count(chainKey(tip.sender, tip.keyId)) > 0) continue;
    auto envs = rs.envelopesAfter(tip.sender, tip.keyId, have, limit - out.envelopes.size(),
                                  kMaxAnswerBytes - bytes);
    if (!envs) return envs.error();
    for (auto& e : *envs) {
      bytes += e.size();
      out.envelopes.push_back(std::move(e));
      if (tip.sender == common::kCitySenderId) out.cityEnvelopes++;
    }
  }
  return out;
}

}  // namespace

Responder::Responder(zmq::context_t& context, const ReplicationOptions& options,
                     const std::string& databasePath, const common::Identity& city,
                     const common::Clock& clock, PeerProgress& progress, Metrics& metrics)
    : context_(context),
      options_(options),
      databasePath_(databasePath),
      city_(city),
      clock_(clock),
      progress_(progress),
      metrics_(metrics) {}

Responder::~Responder() { stop(); }

common::Status Responder::start() {
  CurveRouterOptions o;
  o.listen = options_.listen;
  o.listenKey = "[replication] listen";
  o.what = "peer brokers";
  o.zapDomain = "samband-replication";
  o.maxMessageBytes = static_cast<int64_t>(kMaxPullRequestBytes + 4096);
  o.logArea = "replication";
  o.refusedText = "its key is not in [replication] peers";
  // The user id is the peer's endpoint as configured (its name in status).
  router_ = std::make_unique<CurveRouter>(
      context_, std::move(o), city_.curveSecret(),
      [this](const common::Bytes& key) -> std::optional<std::string> {
        for (const auto& peer : options_.peers) {
          if (std::equal(peer.curvePublic.begin(), peer.curvePublic.end(), key.begin(),
                         key.end())) {
            return peer.endpoint;
          }
        }
        return std::nullopt;
      });
  if (auto s = router_->bind(); !s) return s;
  serveThread_ = std::thread([this] { serveLoop(); });
  return {};
}

void Responder::stop() {
  stopping_ = true;
  if (serveThread_.joinable()) serveThread_.join();
  if (router_) router_->stop();
}

void Responder::serveLoop() {
  auto store = Store::open(databasePath_, Store::Access::readWrite);
  if (!store) {
    common::logError("replication", "cannot open the database: " + store.error().message +
                                        "; peers cannot pull from this broker");
    return;
  }
  ReplicationStore rs(**store);
  struct Parked {
    std::string routingId;
    PullRequest request;
    int64_t deadline;
  };
  std::vector<Parked> parked;
  int64_t lastVersion = -1;
  int64_t lastStatus = 0;

  auto answer = [&](const std::string& routingId, const PullRequest& request,
                    bool mayPark) -> void {
    auto found = beyond(rs, request.heads, request.maxFrames, request.skip);
    if (!found) {
      common::logWarn("replication",
                      "cannot read the archive for a peer: " + found.error().message);
      return;  // the peer asks again after its answer timeout
    }
    if (found->envelopes.empty() && mayPark && request.waitMs > 0) {
      parked.push_back(Parked{routingId, request, clock_.nowMs() + request.waitMs});
      return;
    }
    std::vector<zmq::const_buffer> parts;
    const std::string meta =
        encodeAnswerMeta(found->frames - found->envelopes.size(),
                         accountHashes(**store, found->envelopes, found->cityEnvelopes));
    parts.push_back(zmq::buffer(routingId));
    parts.push_back(zmq::buffer(std::string_view(kPullAnswerTag)));
    parts.push_back(zmq::buffer(meta));
    for (const auto& e : found->envelopes) parts.push_back(zmq::buffer(e.data(), e.size()));
    zmq::send_multipart(router_->socket(), parts, zmq::send_flags::dontwait);
  };

  auto writeStatus = [&]() {
    int64_t worst = -1;
    int64_t newest = 0;
    for (const auto& peer : options_.peers) {
      PeerRecord record;
      record.peer = peer.endpoint;
      if (auto known = progress_.known(peer.endpoint)) {
        auto found = beyond(rs, known->heads, 0);
        if (!found) return;
        record.behindFrames = static_cast<int64_t>(found->frames);
        record.lastContact = known->lastContact;
        record.headsJson = headsJson(known->heads);
        worst = std::max(worst, *record.behindFrames);
        newest = std::max(newest, known->lastContact);
      } else {
        // Not heard from since start: keep what was recorded, grown by what came in since.
        auto stored = rs.peers();
        if (!stored) return;
        for (const auto& r : *stored) {
          if (r.peer != peer.endpoint) continue;
          record = r;
          if (auto heads = parseHeadsJson(r.headsJson)) {
            if (auto found = beyond(rs, *heads, 0)) {
              record.behindFrames = static_cast<int64_t>(found->frames);
            }
          }
        }
        if (record.behindFrames) worst = std::max(worst, *record.behindFrames);
        if (record.lastContact) newest = std::max(newest, *record.lastContact);
      }
      if (auto s = rs.savePeer(record); !s) {
        common::logWarn("replication", "cannot record the peer's progress: " + s.error().message);
      }
    }
    metrics_.replicationBehindFrames = worst;
    metrics_.replicationLastContactMs = newest;
  };

  zmq::pollitem_t items[] = {{router_->socket().handle(), 0, ZMQ_POLLIN, 0}};
  while (!stopping_) {
    zmq::poll(items, 1, std::chrono::milliseconds(kPollMs));
    const int64_t now = clock_.nowMs();
    if (items[0].revents & ZMQ_POLLIN) {
      std::vector<zmq::message_t> parts;
      if (zmq::recv_multipart(router_->socket(), std::back_inserter(parts),
                              zmq::recv_flags::dontwait) &&
          parts.size() == 3 && toString(parts[1]) == kPullRequestTag) {
        const std::string peer = zapUserId(parts[2]);
        auto request = decodePullRequest(toString(parts[2]));
        if (!request) {
          common::logWarn("replication",
                          "peer " + peer + " sent a malformed pull: " + request.error().message);
        } else {
          progress_.notePull(peer, request->heads, now);
          // A newer pull from the same connection replaces a parked one.
          const std::string routingId = toString(parts[0]);
          parked.erase(std::remove_if(parked.begin(), parked.end(),
                                      [&](const Parked& p) { return p.routingId == routingId; }),
                       parked.end());
          answer(routingId, *request, true);
        }
      } else {
        common::logWarn("replication",
                        "ignored a message on the replication port that is not a "
                        "pull request");
      }
    }
    if (!parked.empty()) {
      auto version = dataVersion(**store);
      const bool changed = version && *version != lastVersion;
      if (version) lastVersion = *version;
      std::vector<Parked> waiting;
      waiting.swap(parked);
      for (auto& p : waiting) {
        if (changed) {
          answer(p.routingId, p.request, now < p.deadline);
        } else if (now >= p.deadline) {
          answer(p.routingId, p.request, false);
        } else {
          parked.push_back(std::move(p));
        }
      }
    }
    if (now - lastStatus >= kStatusEveryMs) {
      writeStatus();
      lastStatus = now;
    }
  }
}

}  // namespace samband::broker
