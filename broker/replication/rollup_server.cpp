// See rollup_server.h.
#include "broker/replication/rollup_server.h"

#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <zmq_addon.hpp>

#include "broker/replication/pull_protocol.h"
#include "broker/replication/rollup_protocol.h"
#include "broker/replication/rollup_verifier.h"
#include "broker/store/rollup_store.h"
#include "broker/store/write_transaction.h"
#include "common/city_keyring.h"
#include "common/codec.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

constexpr int kPollMs = 50;
constexpr size_t kPullFrames = 512;
constexpr int64_t kPullWaitMs = 2000;
// A chain with a refused frame is left out of that city's pulls for this long.
constexpr int64_t kSkipChainMs = 30'000;
constexpr int64_t kRefusedPauseMs = 1000;

std::string toString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

nlohmann::json count(int32_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); }

std::string statusJson(const common::UnitStatusMsg& s) {
  nlohmann::json j;
  j["state"] = common::operationalName(s.operational);
  j["reason"] = s.reason;
  j["pupils_enrolled"] = count(s.pupilsEnrolled);
  j["pupils_present"] = count(s.pupilsPresent);
  j["staff_total"] = count(s.staffTotal);
  j["staff_available"] = count(s.staffAvailable);
  j["electricity"] = common::electricityName(s.electricity);
  j["backup_hours"] = count(s.backupHours);
  j["heating"] = common::supplyName(s.heating);
  j["water"] = common::supplyName(s.water);
  j["food"] = common::supplyName(s.food);
  j["it"] = common::supplyName(s.it);
  j["telephony"] = common::supplyName(s.telephony);
  j["food_days"] = count(s.foodDays);
  j["note"] = s.note;
  j["closed_until"] =
      s.closedUntil.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.closedUntil);
  return j.dump();
}

std::string capacityJson(const common::CapacityMsg& c) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : c.entries) {
    j.push_back({{"form", common::schoolFormName(e.form)},
                 {"year", e.year},
                 {"enrolled", e.enrolled},
                 {"seats_now", e.seatsNow},
                 {"seats_72h", e.seats72h}});
  }
  return j.dump();
}

}  // namespace

std::optional<std::string> admittedCity(Store& store, const common::Bytes& transportKey,
                                        int64_t nowMs) {
  RollupStore rs(store);
  auto enrolled = rs.cityOfTransportKey(transportKey);
  if (!enrolled) {
    common::logWarn("rollup", "cannot read the enrolled cities: " + enrolled.error().message);
    return std::nullopt;
  }
  if (*enrolled) return **enrolled;
  auto cities = rs.cities();
  if (!cities) return std::nullopt;
  // A key certified under several cities' roots is refused: one city's root could otherwise
  // claim another city's standby and have its frames judged against the wrong root.
  std::vector<std::string> claimed;
  for (const auto& c : *cities) {
    if (c.rootSignPublic.size() != 32) continue;
    common::PublicKey root{};
    std::copy(c.rootSignPublic.begin(), c.rootSignPublic.end(), root.begin());
    common::CityKeyring keyring(root);
    auto records = rs.cityChainFrames(c.city);
    if (!records) continue;
    for (const auto& frame : *records) {
      auto parts = common::decodeEnvelope(frame);
      if (!parts) continue;
      auto m = common::decodeBody(parts->body);
      if (!m || !m->isCityKey()) continue;
      (void)keyring.add(std::get<common::CityKeyMsg>(m->payload));
    }
    for (const auto& k : keyring.keys()) {
      if (k.isRoot || !keyring.keyFor(k.keyId, nowMs).ok()) continue;
      if (std::equal(k.curvePublic.begin(), k.curvePublic.end(), transportKey.begin(),
                     transportKey.end())) {
        claimed.push_back(c.city);
        break;
      }
    }
  }
  if (claimed.size() > 1) {
    common::logWarn("rollup", "refused a broker key that the roots of several cities certified (" +
                                  claimed.front() + ", " + claimed[1] +
                                  "); enrol it with enroll-city to say which city it serves");
    return std::nullopt;
  }
  if (claimed.size() == 1) return claimed.front();
  return std::nullopt;
}

RollupServer::RollupServer(std::string listen, std::string databasePath,
                           const common::Identity& self, const common::Clock& clock)
    : listen_(std::move(listen)),
      databasePath_(std::move(databasePath)),
      self_(self),
      clock_(clock) {}

RollupServer::~RollupServer() { stop(); }

common::Status RollupServer::start() {
  CurveRouterOptions o;
  o.listen = listen_;
  o.listenKey = "[broker] listen";
  o.what = "cities";
  o.zapDomain = "samband-rollup";
  o.maxMessageBytes =
      static_cast<int64_t>(kMaxAnswerBytes + common::kMaxFrameBytes + kMaxLivenessBytes + 4096);
  o.logArea = "rollup";
  o.refusedText =
      "its transport key is neither an enrolled city's nor certified by an enrolled city's root "
      "(samband-broker enroll-city)";
  // The ZAP thread's own connection, opened at its first handshake.
  auto zapStore = std::make_shared<std::unique_ptr<Store>>();
  router_ = std::make_unique<CurveRouter>(
      context_, std::move(o), self_.curveSecret(),
      [this, zapStore](const common::Bytes& key) -> std::optional<std::string> {
        if (!*zapStore) {
          auto store = Store::open(databasePath_, Store::Access::readWrite);
          if (!store) {
            common::logError("rollup", "cannot open the database: " + store.error().message +
                                           "; no city can connect");
            return std::nullopt;
          }
          *zapStore = std::move(*store);
        }
        return admittedCity(**zapStore, key, clock_.nowMs());
      });
  if (auto s = router_->bind(); !s) return s;
  serveThread_ = std::thread([this] { serveLoop(); });
  return {};
}

void RollupServer::stop() {
  stopping_ = true;
  if (serveThread_.joinable()) serveThread_.join();
  if (router_) router_->stop();
}

void RollupServer::serveLoop() {
  auto store = Store::open(databasePath_, Store::Access::readWrite);
  if (!store) {
    common::logError(
        "rollup", "cannot open the database: " + store.error().message + "; nothing is rolled up");
    return;
  }
  RollupStore rs(**store);
  std::map<std::string, std::unique_ptr<RollupVerifier>> verifiers;

  // The verifier of `city`, rebuilt from what is stored the first time it is needed.
  auto verifierOf = [&](const std::string& city) -> RollupVerifier* {
    if (auto it = verifiers.find(city); it != verifiers.end()) return it->second.get();
    auto cities = rs.cities();
    if (!cities) return nullptr;
    for (const auto& c : *cities) {
      if (c.city != city || c.rootSignPublic.size() != 32) continue;
      common::PublicKey root{};
      std::copy(c.rootSignPublic.begin(), c.rootSignPublic.end(), root.begin());
      auto v = std::make_unique<RollupVerifier>(city, root);
      auto frames = rs.frames(city);
      if (!frames) return nullptr;
      const common::Bytes* last = nullptr;
      for (const auto& f : *frames) {
        if (last != nullptr && *last == f.envelope) continue;  // a batch, once
        (void)v->admit({f.envelope}, f.receivedAt);
        last = &f.envelope;
      }
      v->setHashLookup([&rs, city](const std::string& sender, const std::string& keyId,
                                   uint64_t seq) -> std::optional<common::Bytes> {
        auto h = rs.bodyHashAt(city, sender, keyId, seq);
        return h ? *h : std::nullopt;
      });
      auto* raw = v.get();
      verifiers[city] = std::move(v);
      return raw;
    }
    return nullptr;
  };

  // Chains of a city whose frame was refused lately: left out of its pulls for a while (as the
  // puller does), so a city serving a forged frame is not asked for it in a tight loop and its
  // other chains go on. (city, (sender, key)) -> broker clock.
  std::map<std::pair<std::string, std::pair<std::string, std::string>>, int64_t> skipUntil;
  // Pulls held back after an answer with nothing but refusals: (due, routing id, city).
  std::vector<std::tuple<int64_t, std::string, std::string>> delayed;

  auto sendPull = [&](const std::string& routingId, const std::string& city) {
    auto heads = rs.heads(city);
    if (!heads) {
      common::logWarn("rollup", "cannot read the heads of " + city + ": " + heads.error().message);
      return;
    }
    PullRequest request;
    request.maxFrames = kPullFrames;
    request.waitMs = kPullWaitMs;
    for (const auto& h : *heads) request.heads.push_back(PullHead{h.sender, h.keyId, h.seq});
    const int64_t now = clock_.nowMs();
    for (auto it = skipUntil.begin(); it != skipUntil.end();) {
      if (now >= it->second) {
        it = skipUntil.erase(it);
      } else {
        if (it->first.first == city) request.skip.push_back(it->first.second);
        ++it;
      }
    }
    const std::string body = encodePullRequest(request);
    std::array<zmq::const_buffer, 3> out{
        zmq::buffer(routingId), zmq::buffer(std::string_view(kPullRequestTag)), zmq::buffer(body)};
    (void)zmq::send_multipart(router_->socket(), out, zmq::send_flags::dontwait);
  };

  // Returns false when the answer held refusals only (the next pull waits a little).
  auto handleAnswer = [&](const std::string& city, std::vector<zmq::message_t>& parts) -> bool {
    // parts: routing, tag, meta, liveness, liveness signature, frames...
    const int64_t now = clock_.nowMs();
    RollupVerifier* verifier = verifierOf(city);
    if (verifier == nullptr) {
      common::logWarn("rollup", "city " + city + " is not enrolled here (any more)");
      return false;
    }
    std::vector<common::Bytes> frames;
    for (size_t i = 5; i < parts.size(); ++i) {
      auto* p = static_cast<const uint8_t*>(parts[i].data());
      frames.emplace_back(p, p + parts[i].size());
    }
    RollupOutcome outcome = verifier->admit(frames, now);

    // The liveness summary, checked with the city's keyring (after this answer's statements).
    std::optional<std::string> liveness;
    {
      const std::string text = toString(parts[3]);
      auto* sp = static_cast<const uint8_t*>(parts[4].data());
      const common::Bytes signature(sp, sp + parts[4].size());
      auto summary = decodeLiveness(text);
      common::Bytes keyId;
      if (summary && common::fromHex(summary->keyIdHex, &keyId) &&
          verifier->keyring()
              .verify(keyId, kRollupLivenessDomain, common::Bytes(text.begin(), text.end()),
                      signature, now)
              .ok()) {
        // Each broker of the city sees only the agents connected to it: a provider was last
        // seen at the latest time any of them reports (kept from the stored summary).
        std::map<std::string, int64_t> before;
        if (auto cities = rs.cities()) {
          for (const auto& c : *cities) {
            if (c.city != city) continue;
            auto stored = nlohmann::json::parse(c.livenessJson, nullptr, false);
            if (!stored.is_array()) break;
            for (const auto& e : stored) {
              if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_number_integer()) {
                before[e[0].get<std::string>()] = e[1].get<int64_t>();
              }
            }
          }
        }
        nlohmann::json j = nlohmann::json::array();
        for (const auto& [id, age] : summary->providers) {
          std::optional<int64_t> seen;
          if (age) seen = now - *age;
          if (auto b = before.find(id); b != before.end()) {
            seen = std::max(seen.value_or(b->second), b->second);
          }
          j.push_back({id, seen ? nlohmann::json(*seen) : nlohmann::json(nullptr)});
        }
        liveness = j.dump();
      } else {
        outcome.refused.push_back(RollupRefused{common::RejectReason::BAD_SIGNATURE, "", "", 0,
                                                "the liveness summary does not verify"});
      }
    }

    auto tx = WriteTransaction::begin(**store);
    if (!tx) {
      common::logWarn("rollup", "cannot store what " + city + " relayed: " + tx.error().message);
      verifiers.erase(city);  // rebuilt from what is stored
      return false;
    }
    auto fail = [&](const common::Status& s) {
      if (s) return false;
      common::logWarn("rollup", "cannot store what " + city + " relayed: " + s.error().message);
      verifiers.erase(city);
      return true;
    };
    int64_t gaps = 0;
    for (const auto& a : outcome.accepted) {
      RollupFrameRow row;
      row.sender = a.sender;
      row.keyId = a.keyIdHex;
      row.seq = a.seq;
      row.bodyHash = a.bodyHash;
      row.sentAt = a.message.sentAt;
      row.receivedAt = a.receivedAt;
      row.envelope = a.frame;
      row.batchIndex = a.batchIndex;
      auto inserted = rs.insertFrame(city, row);
      if (!inserted) {
        fail(inserted.error());
        return false;
      }
      if (a.afterGap) gaps++;
      const int64_t reportedAt = std::min(a.message.sentAt, a.receivedAt);
      if (auto* s = std::get_if<common::UnitStatusMsg>(&a.message.payload)) {
        if (fail(rs.putUnitStatus(city, s->unitCode, a.sender, a.keyIdHex, a.seq,
                                  common::operationalName(s->operational), statusJson(*s),
                                  reportedAt))) {
          return false;
        }
      } else if (auto* c = std::get_if<common::CapacityMsg>(&a.message.payload)) {
        if (fail(rs.putUnitCapacity(city, c->unitCode, a.sender, a.keyIdHex, a.seq,
                                    capacityJson(*c), reportedAt))) {
          return false;
        }
      }
    }
    std::map<std::string, int64_t> refusals;
    for (const auto& r : outcome.refused) refusals[common::rejectReasonName(r.reason)]++;
    for (const auto& [reason, n] : refusals) {
      if (fail(rs.countRefusal(city, reason, n))) return false;
    }
    if (gaps > 0 && fail(rs.addGaps(city, gaps))) return false;
    if (fail(rs.noteContact(city, now))) return false;
    if (liveness && fail(rs.setLiveness(city, *liveness, now))) return false;
    if (fail(tx->commit())) return false;
    for (const auto& r : outcome.refused) {
      if (!r.sender.empty()) {
        skipUntil[{city, {r.sender, r.keyIdHex}}] = now + kSkipChainMs;
      }
      common::logWarn("rollup", "city " + city + " relayed a frame that was refused (" +
                                    common::rejectReasonName(r.reason) +
                                    (r.sender.empty() ? "" : ", sender " + r.sender) +
                                    (r.seq == 0 ? "" : " seq " + std::to_string(r.seq)) +
                                    "): " + r.detail + "; relaying goes on");
    }
    return !(outcome.accepted.empty() && !outcome.refused.empty());
  };

  zmq::pollitem_t items[] = {{router_->socket().handle(), 0, ZMQ_POLLIN, 0}};
  while (!stopping_) {
    zmq::poll(items, 1, std::chrono::milliseconds(kPollMs));
    if (!delayed.empty()) {
      const int64_t now = clock_.nowMs();
      std::vector<std::tuple<int64_t, std::string, std::string>> waiting;
      for (auto& d : delayed) {
        if (now >= std::get<0>(d)) {
          sendPull(std::get<1>(d), std::get<2>(d));
        } else {
          waiting.push_back(std::move(d));
        }
      }
      delayed.swap(waiting);
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(router_->socket(), std::back_inserter(parts),
                             zmq::recv_flags::dontwait) ||
        parts.size() < 2) {
      continue;
    }
    const std::string city = zapUserId(parts[1]);
    const std::string routingId = toString(parts[0]);
    const std::string tag = toString(parts[1]);
    if (city.empty()) continue;
    if (tag == kRelayHelloTag) {
      common::logInfo("rollup", "city " + city + " connected");
      sendPull(routingId, city);
    } else if (tag == kRelayAnswerTag && parts.size() >= 5 &&
               decodeAnswerMeta(toString(parts[2])) && parts.size() - 5 <= kPullFrames) {
      if (handleAnswer(city, parts)) {
        sendPull(routingId, city);
      } else {
        delayed.emplace_back(clock_.nowMs() + kRefusedPauseMs, routingId, city);
      }
    } else {
      common::logWarn("rollup", "city " + city + " sent a malformed message; asking again");
      sendPull(routingId, city);
    }
  }
}

}  // namespace samband::broker
