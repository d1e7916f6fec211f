// See puller.h.
#include "broker/replication/puller.h"

#include <set>
#include <unordered_map>
#include <unordered_set>
#include <zmq_addon.hpp>

#include "broker/city/key_records.h"
#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/replication/pull_protocol.h"
#include "broker/store/accounts_store.h"
#include "broker/store/replication_store.h"
#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

// How long past the peer's hold an answer may take before the peer counts as unreachable.
constexpr int64_t kAnswerGraceMs = 3000;
constexpr int64_t kBackoffMs = 1000;
// A chain the gate refused a frame of is left out of pulls for this long.
constexpr int64_t kSkipChainMs = 30'000;
constexpr int kPollSliceMs = 50;

std::string toString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

}  // namespace

Puller::Puller(zmq::context_t& context, const ReplicationOptions& options, ReplicationPeer peer,
               const std::string& databasePath, const common::Identity& city, bool checkpoints,
               const common::Clock& clock, Metrics& metrics)
    : context_(context),
      options_(options),
      peer_(std::move(peer)),
      databasePath_(databasePath),
      city_(city),
      checkpoints_(checkpoints),
      clock_(clock),
      metrics_(metrics) {}

Puller::~Puller() { stop(); }

void Puller::start() {
  thread_ = std::thread([this] { run(); });
}

void Puller::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Puller::run() {
  auto store = Store::open(databasePath_, Store::Access::readWrite);
  if (!store) {
    common::logError("replication", "cannot open the database: " + store.error().message +
                                        "; nothing is pulled from " + peer_.endpoint);
    return;
  }
  ReplicationStore rs(**store);
  RosterCache roster(databasePath_, clock_);
  Ingress ingress(roster, clock_);
  Metrics local;  // the committer's own counters: peer frames are not agents' frames
  Committer committer(**store, clock_, local, CommitterCity{&city_, checkpoints_});
  std::map<std::pair<std::string, std::string>, int64_t> skipUntil;  // chain -> broker time

  auto connect = [&]() {
    auto s = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(peer_.curvePublic.data(), 32));
    s->set(zmq::sockopt::curve_publickey, zmq::const_buffer(city_.curvePublic().data(), 32));
    s->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(city_.curveSecret(), 32));
    s->set(zmq::sockopt::maxmsgsize,
           static_cast<int64_t>(kMaxAnswerBytes + common::kMaxFrameBytes + 4096));
    s->connect(peer_.endpoint);
    return s;
  };
  auto socket = connect();
  bool unreachableLogged = false;

  while (!stopping_) {
    const int64_t now = clock_.nowMs();
    auto tips = rs.chainTips();
    if (!tips) {
      common::logWarn("replication", "cannot read the chain heads: " + tips.error().message);
      std::this_thread::sleep_for(std::chrono::milliseconds(kBackoffMs));
      continue;
    }
    PullRequest request;
    request.maxFrames = options_.pullBatch;
    request.waitMs = options_.pullWaitMs;
    for (const auto& t : *tips) request.heads.push_back(PullHead{t.sender, t.keyId, t.seq});
    for (auto it = skipUntil.begin(); it != skipUntil.end();) {
      if (now >= it->second) {
        it = skipUntil.erase(it);
      } else {
        request.skip.push_back(it->first);
        ++it;
      }
    }
    const std::string body = encodePullRequest(request);
    std::array<zmq::const_buffer, 2> out{zmq::buffer(std::string_view(kPullRequestTag)),
                                         zmq::buffer(body)};
    if (!zmq::send_multipart(*socket, out, zmq::send_flags::dontwait)) {
      socket = connect();
      std::this_thread::sleep_for(std::chrono::milliseconds(kBackoffMs));
      continue;
    }
    // Asking: wait for the answer in slices, so stop() is prompt.
    std::vector<zmq::message_t> parts;
    const int64_t deadline = common::monotonicMs() + request.waitMs + kAnswerGraceMs;
    bool answered = false;
    while (!stopping_ && common::monotonicMs() < deadline) {
      zmq::pollitem_t items[] = {{socket->handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(kPollSliceMs));
      if (items[0].revents & ZMQ_POLLIN) {
        answered =
            zmq::recv_multipart(*socket, std::back_inserter(parts), zmq::recv_flags::dontwait)
                .has_value();
        break;
      }
    }
    if (stopping_) break;
    if (!answered) {
      // Backing off: a fresh socket, so no stale answer arrives for an old request.
      if (!unreachableLogged) {
        common::logWarn("replication", "peer " + peer_.endpoint +
                                           " does not answer; pulling again when it does "
                                           "(check that it runs and [replication] on both)");
        unreachableLogged = true;
      }
      socket = connect();
      for (int i = 0; i < kBackoffMs / kPollSliceMs && !stopping_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollSliceMs));
      }
      continue;
    }
    if (unreachableLogged) {
      common::logInfo("replication", "peer " + peer_.endpoint + " answers again");
      unreachableLogged = false;
    }
    if (parts.size() < 2 || toString(parts[0]) != kPullAnswerTag ||
        !decodeAnswerMeta(toString(parts[1])) || parts.size() - 2 > request.maxFrames) {
      common::logWarn("replication", "peer " + peer_.endpoint + " sent a malformed answer");
      std::this_thread::sleep_for(std::chrono::milliseconds(kBackoffMs));
      continue;
    }
    if (parts.size() == 2) continue;  // nothing new within the hold: ask again

    // The city's keyring as this broker's archive proves it, plus the root-signed key
    // statements among the pulled frames (each proves itself), so the gate can check the peer's
    // city chain (its certificate is in that chain). Roster records (enrolments, revocations,
    // units, unit metadata) among them change this broker's roster when committed.
    std::unique_ptr<common::CityKeyring> keyring;
    bool rosterRecords = false;
    std::unordered_set<std::string> accountDigests;  // hex, of the account records pulled
    auto keys = brokerCityKeyring(**store);
    if (keys) keyring = std::make_unique<common::CityKeyring>(std::move(keys).value());
    for (size_t i = 2; i < parts.size(); ++i) {
      auto* p = static_cast<const uint8_t*>(parts[i].data());
      auto envelope = common::decodeEnvelope(common::Bytes(p, p + parts[i].size()));
      if (!envelope) continue;
      auto m = common::decodeBody(envelope->body);
      if (!m || m->senderId != common::kCitySenderId) continue;
      // A unit metadata record can add a unit (roster import before enrolment) too.
      if (std::holds_alternative<common::EnrolmentMsg>(m->payload) || m->isRosterInfo()) {
        rosterRecords = true;
      }
      if (keyring && m->isCityKey()) (void)keyring->add(std::get<common::CityKeyMsg>(m->payload));
      if (m->isAccount()) {
        const auto& account = std::get<common::AccountMsg>(m->payload);
        if (account.action == common::AccountAction::SET) {
          accountDigests.insert(common::toHex(account.passwordDigest));
        }
      }
    }
    ingress.trustCityKeys(keyring.get());
    if (!accountDigests.empty()) {
      // Password hashes beside the frames: kept only under the digest computed here, and only
      // those an account record of this answer names; the gate then checks that record.
      std::vector<std::string> kept;
      if (auto hashes = decodeAnswerHashes(toString(parts[1]))) {
        for (const auto& hash : *hashes) {
          const common::Bytes digest =
              common::hash256(reinterpret_cast<const uint8_t*>(hash.data()), hash.size());
          if (accountDigests.count(common::toHex(digest)) > 0) kept.push_back(hash);
        }
      }
      if (auto s = AccountsStore(**store).keepPulledHashes(kept); !s) {
        common::logWarn("replication",
                        "cannot keep the password hashes a peer sent: " + s.error().message);
      }
    }

    // Applying: every envelope through the gate, then the committer, in order.
    const int64_t receivedAt = clock_.nowMs();
    std::vector<WorkItem> batch;
    std::vector<Reply> replies;
    // Per admission (its route "peer/N"), its chain when decoded.
    std::vector<std::pair<std::string, std::string>> chainOf;
    // With roster records in the answer, an envelope the gate refuses for want of its key or
    // unit (enrolled by a record of this very answer), or as revoked (a revocation record of
    // this answer may name a higher head), waits, with the rest of its chain, until the records
    // are committed and the roster re-read; then it passes the gate again.
    std::vector<size_t> deferred;
    std::set<std::pair<std::string, std::string>> deferredChains;
    auto chainOfAdmission = [](const Admission& admission) {
      if (const auto* verified = std::get_if<VerifiedFrame>(&admission)) {
        return std::make_pair(verified->message().senderId, verified->keyIdHex());
      }
      const auto& r = std::get<Refusal>(admission);
      return std::make_pair(r.sender, r.keyIdHex);
    };
    auto admitInto = [&](size_t i, bool mayDefer) {
      InboundFrame frame;
      auto* p = static_cast<const uint8_t*>(parts[i].data());
      frame.data.assign(p, p + parts[i].size());
      frame.receivedAt = receivedAt;
      frame.channel = Channel::peer;
      // A batch envelope (issue 16) as its sender signed it: verified once, one admission per
      // report. Each admission gets its own route, so each ack or reject names one frame.
      std::vector<Admission> admissions;
      if (common::isBatchFrame(frame.data)) {
        admissions = ingress.admitBatch(std::move(frame));
      } else {
        admissions.push_back(ingress.admit(std::move(frame)));
      }
      if (mayDefer) {
        bool wait = false;
        for (const auto& admission : admissions) {
          const auto chain = chainOfAdmission(admission);
          if (const auto* r = std::get_if<Refusal>(&admission);
              r != nullptr && !r->sender.empty() &&
              (r->reason == common::RejectReason::UNKNOWN_SENDER ||
               r->reason == common::RejectReason::UNIT_NOT_OWNED ||
               // a peer's revocation record naming a higher head admits it
               r->reason == common::RejectReason::REVOKED)) {
            deferredChains.insert(chain);
          }
          if (deferredChains.count(chain) > 0) wait = true;
        }
        if (wait) {
          deferred.push_back(i);
          return;
        }
      }
      for (auto& admission : admissions) {
        chainOf.push_back(chainOfAdmission(admission));
        const auto* verified = std::get_if<VerifiedFrame>(&admission);
        const bool rotation = verified != nullptr && std::holds_alternative<common::KeyRotationMsg>(
                                                         verified->message().payload);
        batch.push_back(
            WorkItem{"peer/" + std::to_string(chainOf.size() - 1), std::move(admission)});
        if (rotation) {
          // The new key must be in the roster before frames signed by it are checked.
          for (auto& r : committer.apply(batch)) replies.push_back(std::move(r));
          batch.clear();
          roster.refreshIfOlder(0);
        }
      }
    };
    for (size_t i = 2; i < parts.size(); ++i) admitInto(i, rosterRecords);
    if (!batch.empty()) {
      for (auto& r : committer.apply(batch)) replies.push_back(std::move(r));
      batch.clear();
    }
    if (rosterRecords) {
      roster.refreshIfOlder(0);
      for (size_t i : deferred) admitInto(i, false);
      if (!batch.empty()) {
        for (auto& r : committer.apply(batch)) replies.push_back(std::move(r));
      }
    }
    if (replies.empty()) {
      common::logWarn("replication", "frames pulled from " + peer_.endpoint +
                                         " were not stored (see the error above); pulling again");
      std::this_thread::sleep_for(std::chrono::milliseconds(kBackoffMs));
      continue;
    }
    size_t stored = 0;
    size_t refused = 0;
    for (const Reply& reply : replies) {
      auto downlink = common::decodeDownlink(reply.downlink.data(), reply.downlink.size());
      if (!downlink) continue;
      if (auto* ack = std::get_if<common::AckMsg>(&*downlink)) {
        if (!ack->duplicate) stored++;
      } else if (auto* reject = std::get_if<common::RejectMsg>(&*downlink)) {
        refused++;
        const size_t index = std::stoul(reply.routingId.substr(5));
        metrics_.replicationRefused[static_cast<size_t>(reject->reason) % kRejectReasons]++;
        const auto& chain = chainOf[index];
        common::logWarn("replication",
                        "peer " + peer_.endpoint + " served a frame the gate refused (" +
                            common::rejectReasonName(reject->reason) + ", sender " + chain.first +
                            " seq " + std::to_string(reject->seq) +
                            "); that chain is left out of pulls for " +
                            std::to_string(kSkipChainMs / 1000) + " s, replication goes on");
        if (!chain.first.empty()) skipUntil[chain] = receivedAt + kSkipChainMs;
      }
    }
    // Acks are merged per route; every envelope has its own route, so each ack is one frame.
    metrics_.replicationPulled += stored;
    if (stored == 0 && refused > 0) {
      // Nothing but refusals: do not ask again at once.
      for (int i = 0; i < kBackoffMs / kPollSliceMs && !stopping_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollSliceMs));
      }
    }
  }
}

}  // namespace samband::broker
