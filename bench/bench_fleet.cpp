// See bench_fleet.h. Moved here from ingest_bench.cpp so board_bench drives the broker with the
// same signed-envelope senders.
#include "bench/bench_fleet.h"

#include <sodium.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/batch_envelope.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/limits.h"
#include "common/signing.h"
#include "common/vocabulary.h"
#include "tools/chain_signer.h"
#include "tools/report_model.h"

namespace samband::bench {

namespace fs = std::filesystem;

namespace {

// Fills the report's note (clean text, within the codec's bound) so the encoded body is about
// `targetBodyBytes`: the model's reports are ~250 bytes, a unit status with a note 400-600.
void padNote(common::UnitStatusMsg& status, size_t noteBytes) {
  static const std::string kFiller =
      "Lägesbild: verksamheten följer plan, personal och elever informerade, "
      "nästa rapport vid förändring. ";
  while (status.note.size() < noteBytes) status.note += kFiller;
  // Cut on a character boundary (never inside a multi-byte UTF-8 sequence).
  size_t cut = std::min(noteBytes, status.note.size());
  while (cut > 0 && (static_cast<unsigned char>(status.note[cut]) & 0xC0) == 0x80) --cut;
  status.note.resize(cut);
}

// The encoded size of a unit-status body as ChainSigner would produce it.
size_t bodySize(const common::Identity& identity, const common::UnitStatusMsg& status) {
  common::Message m;
  m.senderId = identity.id();
  m.keyId = identity.keyId();
  m.seq = 2;
  m.prevHash = common::Bytes(32, 0);
  m.sentAt = common::SystemClock().nowMs();
  m.payload = status;
  return common::encodeBody(m).size();
}

// The city's providers with more than `max` units become several, each with at most `max`: the
// first keeps its id and name, the others get ids of the same organisation-number series
// ("212000-1142", ...) and numbered names. Unit indexes move with them.
void splitLargeProviders(tools::City& city, size_t max) {
  if (max == 0) return;
  const size_t count = city.providers.size();
  for (size_t i = 0; i < count; ++i) {
    if (city.providers[i].units.size() <= max) continue;
    std::vector<size_t> rest(city.providers[i].units.begin() + static_cast<std::ptrdiff_t>(max),
                             city.providers[i].units.end());
    city.providers[i].units.resize(max);
    for (size_t part = 1, at = 0; at < rest.size(); ++part, at += max) {
      tools::SimProvider p;
      p.id = city.providers[i].id;
      p.id[7] = static_cast<char>('0' + (p.id[7] - '0' + part) % 10);
      p.name = city.providers[i].name + " " + std::to_string(part + 1);
      p.isCity = city.providers[i].isCity;
      for (size_t k = at; k < std::min(rest.size(), at + max); ++k) {
        city.units[rest[k]].provider = city.providers.size();
        p.units.push_back(rest[k]);
      }
      city.providers.push_back(std::move(p));
    }
  }
}

}  // namespace

Fleet makeFleet(int k, int unitsPerProvider, size_t reports, uint64_t seed, size_t targetBodyBytes,
                size_t batchSize, size_t batchStart) {
  FleetOptions o;
  o.providers = k;
  o.units = std::max(k, k * unitsPerProvider);
  o.reports = reports;
  o.seed = seed;
  o.targetBodyBytes = targetBodyBytes;
  o.batchSize = batchSize;
  o.batchStart = batchStart;
  return makeFleet(o);
}

Fleet makeFleet(const FleetOptions& o) {
  const size_t reports = o.reports, targetBodyBytes = o.targetBodyBytes, batchSize = o.batchSize,
               batchStart = o.batchStart;
  const uint64_t seed = o.seed;
  Fleet fleet;
  tools::CityOptions options;
  options.providers = o.providers;
  options.units = std::max(o.providers, o.units);
  options.seed = seed;
  auto city = tools::generateCity(options);
  if (!city) {
    std::cerr << "bench: cannot generate the city: " << city.error().message << "\n";
    std::exit(2);
  }
  splitLargeProviders(*city, o.maxUnitsPerAgent);
  fleet.city = std::move(*city);
  fleet.agents.resize(fleet.city.providers.size());
  const int64_t start = common::SystemClock().nowMs();
  const int64_t t0 = bench::nowNs();
  const size_t threads = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  std::vector<size_t> bytes(threads, 0), bodies(threads, 0);
  for (size_t w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      tools::ReportModel model(fleet.city, seed + 17 * w);
      for (size_t i = w; i < fleet.agents.size(); i += threads) {
        const auto& provider = fleet.city.providers[i];
        BenchAgent& a = fleet.agents[i];
        auto identity = common::Identity::generate(provider.id);
        a.id = provider.id;
        a.name = provider.name;
        for (size_t u : provider.units) a.units.push_back(fleet.city.units[u].code);
        a.signPublic = identity->signPublic();
        a.curvePublic = identity->curvePublic();
        std::memcpy(a.curveSecret.data(), identity->curveSecret(), a.curveSecret.size());
        a.enrollRequest = common::makeEnrollRequest(*identity, a.name, a.units, start);
        tools::ChainSigner signer(*identity);
        a.heartbeat = signer.heartbeat(start).envelope;
        a.chain.reserve(reports);
        std::vector<common::Bytes> chainBodies;
        for (size_t j = 0; j < reports; ++j) {
          size_t u = provider.units[j % provider.units.size()];
          int64_t at = start + static_cast<int64_t>(j);
          model.drift(u, at);
          auto status = model.status(u, at);
          if (targetBodyBytes > 0) {
            size_t plain = bodySize(*identity, status);
            if (plain < targetBodyBytes) {
              padNote(status,
                      std::min(common::kMaxNoteText, status.note.size() + targetBodyBytes - plain));
            }
          }
          auto frame = signer.next(std::move(status), at);
          bytes[w] += frame.envelope.size();
          bodies[w] += frame.body.size();
          if (batchSize > 1) chainBodies.push_back(frame.body);
          a.chain.push_back(std::move(frame.envelope));
        }
        if (batchSize > 1) {
          a.batchStart = batchStart;
          a.batchSize = batchSize;
          for (size_t g = batchStart; g < reports; g += batchSize) {
            std::vector<common::Bytes> group(
                chainBodies.begin() + static_cast<std::ptrdiff_t>(g),
                chainBodies.begin() +
                    static_cast<std::ptrdiff_t>(std::min(reports, g + batchSize)));
            a.batches.push_back(common::encodeBatch(group, common::signBatch(*identity, group)));
          }
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  for (size_t w = 0; w < threads; ++w) {
    fleet.envelopeBytes += bytes[w];
    fleet.bodyBytes += bodies[w];
  }
  fleet.frames = fleet.agents.size() * reports;
  fleet.signSeconds = static_cast<double>(bench::nowNs() - t0) / 1e9;
  return fleet;
}

bool runToCompletion(const std::vector<std::string>& argv, const std::string& log) {
  ChildProcess p;
  std::string error;
  if (!p.start(argv, log, &error)) {
    std::cerr << "bench: " << error << "\n";
    return false;
  }
  for (int i = 0; i < 3000 && p.isRunning(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p.stop(1000) == 0;
}

// Replaces the line of broker.toml that starts with `from` (up to its end) by `to`.
void replaceLine(std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos) {
    std::cerr << "bench: broker.toml from init has no line \"" << from << "\"\n";
    std::exit(2);
  }
  const auto end = text.find('\n', at);
  text.replace(at, (end == std::string::npos ? text.size() : end) - at, to);
}

std::unique_ptr<BrokerUnderTest> prepareBroker(const std::string& brokerBin, const std::string& dir,
                                               int verifyThreads, const Fleet& fleet,
                                               int batchDelayMs, bool checkpoints, int batchMax) {
  auto b = std::make_unique<BrokerUnderTest>();
  b->dir = dir;
  fs::remove_all(dir);
  fs::create_directories(fs::path(dir).parent_path());
  b->port = freeLoopbackPort();
  b->boardPort = freeLoopbackPort();
  while (b->boardPort == b->port) b->boardPort = freeLoopbackPort();
  const std::string log = dir + ".log";
  fs::remove(log);
  if (!runToCompletion({brokerBin, "init", "--dir", dir, "--listen",
                        "tcp://127.0.0.1:" + std::to_string(b->port), "--board-listen",
                        "127.0.0.1:" + std::to_string(b->boardPort)},
                       log)) {
    std::cerr << "bench: samband-broker init failed; see " << log << "\n";
    return nullptr;
  }
  b->config = dir + "/broker.toml";
  b->database = dir + "/samband.db";
  std::string text;
  {
    std::ifstream in(b->config);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  replaceLine(text, "verify_threads = ", "verify_threads = " + std::to_string(verifyThreads));
  replaceLine(text, "log_level = ", "log_level = \"warn\"");
  if (batchDelayMs >= 0) {
    replaceLine(text, "batch_delay_ms = ", "batch_delay_ms = " + std::to_string(batchDelayMs));
  }
  if (!checkpoints) {
    const size_t at = text.find("[ingest]\n");
    if (at != std::string::npos) text.insert(at + 9, "checkpoints = false\n");
  }
  if (batchMax > 0) replaceLine(text, "batch_max = ", "batch_max = " + std::to_string(batchMax));
  {
    std::ofstream out(b->config, std::ios::trunc);
    out << text;
  }
  auto city = common::PublicIdentity::load(dir + "/city.pub");
  if (!city) {
    std::cerr << "bench: " << city.error().message << "\n";
    return nullptr;
  }
  b->city = *city;

  auto store = broker::Store::open(b->database, broker::Store::Access::readWrite);
  if (!store) {
    std::cerr << "bench: " << store.error().message << "\n";
    return nullptr;
  }
  // Setup, not measured: the serving broker opens its own connection with synchronous=FULL.
  (*store)->db().exec("PRAGMA synchronous=OFF");
  const int64_t now = common::SystemClock().nowMs();
  for (const auto& a : fleet.agents) {
    auto outcome = broker::RosterStore(**store).enroll(a.enrollRequest, false, now);
    if (!outcome) {
      std::cerr << "bench: enroll " << a.id << ": " << outcome.error().message << "\n";
      return nullptr;
    }
  }
  (*store)->db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return b;
}

bool startBroker(BrokerUnderTest& b, const std::string& brokerBin) {
  std::string error;
  if (!b.process.start({brokerBin, "serve", "--config", b.config}, b.dir + ".log", &error)) {
    std::cerr << "bench: " << error << "\n";
    return false;
  }
  // Ready when the ingest socket accepts connections or the board answers.
  for (int i = 0; i < 500; ++i) {
    if (!b.process.isRunning()) {
      std::cerr << "bench: the broker exited at startup; see " << b.dir << ".log\n";
      return false;
    }
    if (!httpGet(b.boardPort, "/healthz", 500).empty() || tcpAccepts(b.port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::cerr << "bench: the broker did not come up within 10 s; see " << b.dir << ".log\n";
  return false;
}

Driver::Driver(zmq::context_t& context, Fleet& fleet, const BrokerUnderTest& broker, int window)
    : fleet_(fleet), window_(static_cast<size_t>(window)) {
  links_.resize(fleet.agents.size());
  for (size_t i = 0; i < links_.size(); ++i) {
    auto& l = links_[i];
    const auto& agent = fleet.agents[i];
    l.socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    l.socket->set(zmq::sockopt::linger, 0);
    l.socket->set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
    l.socket->set(zmq::sockopt::sndhwm, 4 * window + 16);
    l.socket->set(zmq::sockopt::rcvhwm, 4 * window + 16);
    l.socket->set(zmq::sockopt::curve_serverkey,
                  zmq::const_buffer(broker.city.curvePublic.data(), 32));
    l.socket->set(zmq::sockopt::curve_publickey, zmq::const_buffer(agent.curvePublic.data(), 32));
    l.socket->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(agent.curveSecret.data(), 32));
    l.socket->connect("tcp://127.0.0.1:" + std::to_string(broker.port));
    l.sentNs.assign(fleet.agents[i].chain.size(), 0);
    items_.push_back({l.socket->handle(), 0, ZMQ_POLLIN, 0});
  }
}

template <typename OnReadable>
void Driver::pollOnce(int timeoutMs, OnReadable&& onReadable) {
  zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(timeoutMs));
  for (size_t i = 0; i < items_.size(); ++i) {
    if (!(items_[i].revents & ZMQ_POLLIN)) continue;
    Link& l = links_[i];
    zmq::message_t msg;
    while (l.socket->recv(msg, zmq::recv_flags::dontwait)) handle(l, msg);
    onReadable(i);
  }
}

// Sends one heartbeat per agent and waits for every `head` answer: all sessions are then
// authenticated (CURVE + ZAP) and the broker knows every key.
bool Driver::connectAll(int timeoutMs) {
  for (size_t i = 0; i < links_.size(); ++i) {
    links_[i].socket->send(zmq::buffer(fleet_.agents[i].heartbeat), zmq::send_flags::none);
  }
  const int64_t deadline = nowNs() + static_cast<int64_t>(timeoutMs) * 1000000;
  auto allHeads = [&] {
    return std::all_of(links_.begin(), links_.end(), [](const Link& l) { return l.gotHead; });
  };
  while (!allHeads() && nowNs() < deadline) pollOnce(100, [](size_t) {});
  return allHeads();
}

// Light load: `rate` reports per second in total, round robin over the agents, `perAgent`
// each; then waits for the last ack. Returns the send-to-ack latencies (ns).
std::vector<int64_t> Driver::paced(double rate, size_t perAgent, int timeoutMs,
                                   const std::atomic<bool>* stop, int minWaitMs) {
  samples_.clear();
  for (auto& l : links_) l.limit = std::min(l.next + perAgent, l.sentNs.size());
  const int64_t interval = static_cast<int64_t>(1e9 / rate);
  int64_t due = nowNs();
  size_t agent = 0;
  size_t remaining = 0;
  for (auto& l : links_) remaining += l.limit - l.next;
  const size_t expected = acksTotal() + remaining;
  const int64_t deadline = nowNs() + static_cast<int64_t>(timeoutMs) * 1000000;
  while (acksTotal() < expected && nowNs() < deadline && (stop == nullptr || !stop->load())) {
    int64_t now = nowNs();
    while (remaining > 0 && now >= due) {
      for (size_t tries = 0; tries < links_.size(); ++tries) {
        Link& l = links_[agent];
        agent = (agent + 1) % links_.size();
        if (l.next < l.limit) {
          sendNext(l);
          --remaining;
          break;
        }
      }
      due += interval;
    }
    int waitMs =
        remaining > 0 ? static_cast<int>(std::max<int64_t>(minWaitMs, (due - now) / 1000000)) : 50;
    pollOnce(waitMs, [](size_t) {});
  }
  return samples_;
}

// Saturation: every agent sends the rest of its chain keeping `window` unacknowledged.
std::vector<int64_t> Driver::saturate(int timeoutMs, int64_t* startNs) {
  samples_.clear();
  size_t expected = acksTotal();
  for (auto& l : links_) {
    l.limit = l.sentNs.size();
    expected += l.limit - l.next;
  }
  *startNs = nowNs();
  for (auto& l : links_) topUp(l);
  const int64_t deadline = *startNs + static_cast<int64_t>(timeoutMs) * 1000000;
  while (acksTotal() < expected && nowNs() < deadline) {
    pollOnce(100, [&](size_t i) { topUp(links_[i]); });
  }
  return samples_;
}

std::vector<size_t> Driver::sentPerAgent() const {
  std::vector<size_t> s;
  for (const auto& l : links_) s.push_back(l.next);
  return s;
}
size_t Driver::sentTotal() const {
  size_t n = 0;
  for (const auto& l : links_) n += l.next;
  return n;
}

// Reports the next send carries: a whole batch at a batch boundary (issue 16), else one.
size_t Driver::groupAt(const Link& l) const {
  const BenchAgent& a = fleet_.agents[static_cast<size_t>(&l - links_.data())];
  if (a.batchSize < 2 || l.next < a.batchStart || (l.next - a.batchStart) % a.batchSize != 0) {
    return 1;
  }
  const size_t n = std::min(a.batchSize, a.chain.size() - l.next);
  return n >= 2 && l.next + n <= l.limit ? n : 1;
}

void Driver::sendNext(Link& l) {
  size_t i = static_cast<size_t>(&l - links_.data());
  const BenchAgent& a = fleet_.agents[i];
  const size_t n = groupAt(l);
  const int64_t now = nowNs();
  if (n > 1) {
    const auto& frame = a.batches[(l.next - a.batchStart) / a.batchSize];
    for (size_t k = 0; k < n; ++k) l.sentNs[l.next + k] = now;
    l.socket->send(zmq::buffer(frame), zmq::send_flags::none);
    l.next += n;
    ++batchesSent_;
    return;
  }
  l.sentNs[l.next] = now;
  l.socket->send(zmq::buffer(a.chain[l.next]), zmq::send_flags::none);
  ++l.next;
}

void Driver::topUp(Link& l) {
  while (l.next < l.limit && l.next + groupAt(l) - l.acked <= window_) sendNext(l);
}

void Driver::handle(Link& l, const zmq::message_t& msg) {
  auto d = common::decodeDownlink(static_cast<const uint8_t*>(msg.data()), msg.size());
  if (!d) {
    counters_.rejects++;
    counters_.rejectReasons["undecodable downlink"]++;
    return;
  }
  const int64_t now = nowNs();
  if (auto* ack = std::get_if<common::AckMsg>(&*d)) {
    if (ack->duplicate) counters_.duplicates++;
    while (l.acked < ack->seq && l.acked < l.next) {
      samples_.push_back(now - l.sentNs[l.acked]);
      ++l.acked;
      counters_.acks++;
    }
    counters_.lastAckNs = now;
  } else if (auto* reject = std::get_if<common::RejectMsg>(&*d)) {
    counters_.rejects++;
    counters_.rejectReasons[common::rejectReasonName(reject->reason)]++;
  } else if (std::holds_alternative<common::HeadMsg>(*d)) {
    l.gotHead = true;
  }
}

}  // namespace samband::bench
