// mqtt_bench: the peer a city might pick instead of Samband, measured the same way as
// ingest_bench. Starts Debian's mosquitto on a free loopback port (persistence on, a generated
// config in a scratch directory) and drives it with K libmosquitto publishers from one thread:
// QoS 1, at most `window` messages unacknowledged per publisher, payloads of the size of our
// envelopes. Measures PUBACKs per second at saturation and publish-to-PUBACK latency.
//
// Mosquitto neither verifies signatures nor syncs anything to disk per message: with
// persistence on it writes its in-memory state at autosave and at shutdown. Without a
// subscriber a QoS 1 message is acknowledged and dropped; --queued-subscriber first registers
// one offline durable subscriber (clean session off, QoS 1) so every message is kept in
// mosquitto's queue (and written at its next save), which is closer to an archive.
#include <fcntl.h>
#include <mosquitto.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_process.h"

namespace samband::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Options {
  std::string mosquittoBin = "/usr/sbin/mosquitto";
  std::string work;
  std::string json;
  int publishers = 50;
  int window = 64;
  int payloadBytes = 560;
  size_t total = 120000;
  double lightRate = 100;
  double lightSeconds = 6;
  bool queuedSubscriber = false;
  int timeoutS = 120;
};

struct Publisher {
  mosquitto* client = nullptr;
  std::string topic;
  bool connected = false;
  size_t sent = 0;
  size_t acked = 0;
  size_t limit = 0;
  std::vector<int64_t> sentNs = std::vector<int64_t>(65536, 0);  // by message id
  std::vector<int64_t>* samples = nullptr;
  int64_t lastAckNs = 0;
};

void onConnect(mosquitto*, void* self, int rc) {
  if (rc == 0) static_cast<Publisher*>(self)->connected = true;
}

void onPublish(mosquitto*, void* self, int mid) {
  auto* p = static_cast<Publisher*>(self);
  const int64_t now = nowNs();
  p->samples->push_back(now - p->sentNs[static_cast<size_t>(mid) & 0xffff]);
  p->acked++;
  p->lastAckNs = now;
}

class Bench {
 public:
  Bench(const Options& o, int port) : o_(o), payload_(static_cast<size_t>(o.payloadBytes)) {
    std::mt19937 rng(5);
    for (auto& b : payload_) b = static_cast<uint8_t>(rng());
    pubs_.resize(static_cast<size_t>(o.publishers));
    for (size_t i = 0; i < pubs_.size(); ++i) {
      auto& p = pubs_[i];
      const std::string id = "samband-bench-" + std::to_string(i);
      p.topic = "samband/provider-" + std::to_string(i) + "/status";
      p.samples = &samples_;
      p.client = mosquitto_new(id.c_str(), true, &p);
      mosquitto_int_option(p.client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
      mosquitto_max_inflight_messages_set(p.client, static_cast<unsigned>(o.window));
      mosquitto_connect_callback_set(p.client, onConnect);
      mosquitto_publish_callback_set(p.client, onPublish);
      if (mosquitto_connect(p.client, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
        std::cerr << "mqtt_bench: publisher " << i << " cannot connect\n";
        std::exit(2);
      }
      int fd = mosquitto_socket(p.client);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
  }
  ~Bench() {
    for (auto& p : pubs_) {
      if (p.client) {
        mosquitto_disconnect(p.client);
        mosquitto_destroy(p.client);
      }
    }
  }

  bool connectAll(int timeoutMs) {
    const int64_t deadline = nowNs() + static_cast<int64_t>(timeoutMs) * 1000000;
    while (nowNs() < deadline) {
      if (std::all_of(pubs_.begin(), pubs_.end(), [](const Publisher& p) { return p.connected; }))
        return true;
      pollOnce(50);
    }
    return false;
  }

  std::vector<int64_t> paced(double rate, size_t perPublisher, int timeoutMs) {
    samples_.clear();
    size_t remaining = 0;
    for (auto& p : pubs_) {
      p.limit = p.sent + perPublisher;
      remaining += perPublisher;
    }
    const size_t expected = ackedTotal() + remaining;
    const int64_t interval = static_cast<int64_t>(1e9 / rate);
    int64_t due = nowNs();
    size_t next = 0;
    const int64_t deadline = nowNs() + static_cast<int64_t>(timeoutMs) * 1000000;
    while (ackedTotal() < expected && nowNs() < deadline) {
      int64_t now = nowNs();
      while (remaining > 0 && now >= due) {
        for (size_t tries = 0; tries < pubs_.size(); ++tries) {
          Publisher& p = pubs_[next];
          next = (next + 1) % pubs_.size();
          if (p.sent < p.limit) {
            publish(p);
            --remaining;
            break;
          }
        }
        due += interval;
      }
      pollOnce(remaining > 0 ? static_cast<int>(std::max<int64_t>(0, (due - now) / 1000000)) : 50);
    }
    return samples_;
  }

  std::vector<int64_t> saturate(size_t perPublisher, int timeoutMs, int64_t* startNs,
                                int64_t* lastAckNs) {
    samples_.clear();
    size_t expected = ackedTotal();
    for (auto& p : pubs_) {
      p.limit = p.sent + perPublisher;
      expected += perPublisher;
    }
    *startNs = nowNs();
    const int64_t deadline = *startNs + static_cast<int64_t>(timeoutMs) * 1000000;
    for (auto& p : pubs_) topUp(p);
    while (ackedTotal() < expected && nowNs() < deadline) {
      pollOnce(100);
      for (auto& p : pubs_) topUp(p);
    }
    *lastAckNs = 0;
    for (auto& p : pubs_) *lastAckNs = std::max(*lastAckNs, p.lastAckNs);
    return samples_;
  }

  size_t ackedTotal() const {
    size_t n = 0;
    for (const auto& p : pubs_) n += p.acked;
    return n;
  }
  size_t sentTotal() const {
    size_t n = 0;
    for (const auto& p : pubs_) n += p.sent;
    return n;
  }

 private:
  void publish(Publisher& p) {
    int mid = 0;
    const int64_t now = nowNs();
    int rc = mosquitto_publish(p.client, &mid, p.topic.c_str(), static_cast<int>(payload_.size()),
                               payload_.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      std::cerr << "mqtt_bench: publish failed: " << mosquitto_strerror(rc) << "\n";
      std::exit(2);
    }
    p.sentNs[static_cast<size_t>(mid) & 0xffff] = now;
    ++p.sent;
  }

  void topUp(Publisher& p) {
    while (p.sent < p.limit && p.sent - p.acked < static_cast<size_t>(o_.window)) publish(p);
  }

  void pollOnce(int timeoutMs) {
    fds_.resize(pubs_.size());
    for (size_t i = 0; i < pubs_.size(); ++i) {
      fds_[i].fd = mosquitto_socket(pubs_[i].client);
      fds_[i].events = POLLIN | (mosquitto_want_write(pubs_[i].client) ? POLLOUT : 0);
      fds_[i].revents = 0;
    }
    ::poll(fds_.data(), fds_.size(), timeoutMs);
    for (size_t i = 0; i < pubs_.size(); ++i) {
      auto* c = pubs_[i].client;
      int rc = MOSQ_ERR_SUCCESS;
      if (fds_[i].revents & (POLLIN | POLLERR | POLLHUP)) rc = mosquitto_loop_read(c, 1);
      if (rc == MOSQ_ERR_SUCCESS && (fds_[i].revents & POLLOUT)) rc = mosquitto_loop_write(c, 1);
      if (rc != MOSQ_ERR_SUCCESS) {
        std::cerr << "mqtt_bench: publisher " << i << ": " << mosquitto_strerror(rc) << "\n";
        std::exit(2);
      }
    }
    if (nowNs() - lastMiscNs_ > 1000000000) {
      for (auto& p : pubs_) mosquitto_loop_misc(p.client);
      lastMiscNs_ = nowNs();
    }
  }

  const Options& o_;
  std::vector<uint8_t> payload_;
  std::vector<Publisher> pubs_;
  std::vector<pollfd> fds_;
  std::vector<int64_t> samples_;
  int64_t lastMiscNs_ = 0;
};

// Registers a durable subscriber and leaves it offline, so mosquitto queues every message.
bool registerQueuedSubscriber(int port) {
  struct State {
    bool connected = false;
    bool subscribed = false;
  } state;
  mosquitto* m = mosquitto_new("samband-archive", false, &state);
  mosquitto_connect_callback_set(m, [](mosquitto*, void* s, int rc) {
    if (rc == 0) static_cast<State*>(s)->connected = true;
  });
  mosquitto_subscribe_callback_set(m, [](mosquitto*, void* s, int, int, const int*) {
    static_cast<State*>(s)->subscribed = true;
  });
  bool ok = mosquitto_connect(m, "127.0.0.1", port, 60) == MOSQ_ERR_SUCCESS;
  for (int i = 0; ok && i < 100 && !state.connected; ++i) mosquitto_loop(m, 50, 1);
  ok = ok && state.connected && mosquitto_subscribe(m, nullptr, "samband/#", 1) == MOSQ_ERR_SUCCESS;
  for (int i = 0; ok && i < 100 && !state.subscribed; ++i) mosquitto_loop(m, 50, 1);
  ok = ok && state.subscribed;
  mosquitto_disconnect(m);
  mosquitto_loop(m, 50, 1);
  mosquitto_destroy(m);
  return ok;
}

size_t pubs(const Options& o) { return static_cast<size_t>(std::max(1, o.publishers)); }

void appendJson(const Options& o, const Json& j) {
  std::ofstream out(o.json, std::ios::app);
  out << j.dump() << "\n";
}

Json latencyJson(std::vector<int64_t> samples) {
  return Json{{"samples", samples.size()},
              {"p50_ms", percentile(samples, 50) / 1e6},
              {"p90_ms", percentile(samples, 90) / 1e6},
              {"p99_ms", percentile(samples, 99) / 1e6},
              {"max_ms", percentile(samples, 100) / 1e6}};
}

int run(const Options& o) {
  const std::string dir = o.work + "/mosquitto-k" + std::to_string(o.publishers) +
                          (o.queuedSubscriber ? "-queued" : "");
  fs::remove_all(dir);
  fs::create_directories(dir + "/data");
  const int port = freeLoopbackPort();
  const std::string conf = dir + "/mosquitto.conf";
  {
    std::ofstream out(conf);
    out << "# Generated by mqtt_bench: loopback only, persistence on.\n"
        << "listener " << port << " 127.0.0.1\n"
        << "allow_anonymous true\n"
        << "persistence true\n"
        << "persistence_location " << dir << "/data/\n"
        << "persistence_file mosquitto.db\n"
        << "autosave_interval 60\n"
        << "autosave_on_changes false\n"
        << "max_inflight_messages " << o.window << "\n"
        << "max_queued_messages 0\n"
        << "max_connections -1\n"
        << "log_dest stderr\n"
        << "log_type error\n"
        << "log_type warning\n";
  }
  if (::geteuid() == 0) {
    // Running as root, mosquitto drops to its own user; that user must be able to write.
    if (passwd* pw = ::getpwnam("mosquitto")) {
      for (const auto& p : {dir, dir + "/data"}) {
        if (::chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          std::cerr << "mqtt_bench: cannot chown " << p << "\n";
        }
      }
    }
  }
  ChildProcess broker;
  std::string error;
  if (!broker.start({o.mosquittoBin, "-c", conf}, dir + ".log", &error)) {
    std::cerr << "mqtt_bench: " << error << "\n";
    return 2;
  }
  // Ready when a client can connect.
  bool up = false;
  for (int i = 0; i < 250 && !up; ++i) {
    if (!broker.isRunning()) break;
    mosquitto* probe = mosquitto_new(nullptr, true, nullptr);
    up = mosquitto_connect(probe, "127.0.0.1", port, 10) == MOSQ_ERR_SUCCESS;
    if (up) mosquitto_disconnect(probe);
    mosquitto_destroy(probe);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!up) {
    std::cerr << "mqtt_bench: mosquitto did not come up; see " << dir << ".log\n";
    return 2;
  }
  if (o.queuedSubscriber && !registerQueuedSubscriber(port)) {
    std::cerr << "mqtt_bench: could not register the durable subscriber\n";
    return 2;
  }
  Json result{{"bench", "mqtt"},
              {"publishers", o.publishers},
              {"window", o.window},
              {"payload_bytes", o.payloadBytes},
              {"queued_subscriber", o.queuedSubscriber},
              {"mosquitto", "persistence true, autosave_interval 60, QoS 1, MQTT 3.1.1"},
              {"load1_before", loadAverage1()}};
  {
    Bench bench(o, port);
    if (!bench.connectAll(30000)) {
      std::cerr << "mqtt_bench: publishers did not all connect\n";
      return 2;
    }
    const size_t lightTotal = static_cast<size_t>(o.lightRate * o.lightSeconds);
    const size_t lightPer = (lightTotal + pubs(o) - 1) / pubs(o);
    result["light"] = latencyJson(bench.paced(o.lightRate, lightPer, o.timeoutS * 1000));
    result["light"]["rate"] = o.lightRate;
    const size_t ackedBefore = bench.ackedTotal();
    const double brokerCpu0 = processCpuSeconds(broker.pid());
    const double selfCpu0 = selfCpuSeconds();
    int64_t start = 0, last = 0;
    auto sat =
        bench.saturate(std::max<size_t>(1, o.total / pubs(o)), o.timeoutS * 1000, &start, &last);
    const double brokerCpu1 = processCpuSeconds(broker.pid());
    const double selfCpu1 = selfCpuSeconds();
    const size_t acked = bench.ackedTotal() - ackedBefore;
    const double seconds = static_cast<double>(last - start) / 1e9;
    result["saturated"] = latencyJson(sat);
    result["saturated"]["acked"] = acked;
    result["saturated"]["seconds"] = seconds;
    result["saturated"]["rate"] = seconds > 0 ? static_cast<double>(acked) / seconds : 0;
    result["broker_cores"] = seconds > 0 ? (brokerCpu1 - brokerCpu0) / seconds : 0;
    result["client_cores"] = seconds > 0 ? (selfCpu1 - selfCpu0) / seconds : 0;
    result["sent"] = bench.sentTotal();
    result["acked"] = bench.ackedTotal();
    result["all_acked"] = bench.sentTotal() == bench.ackedTotal();
  }
  result["load1_after"] = loadAverage1();
  broker.stop();
  std::error_code ec;
  auto size = fs::file_size(dir + "/data/mosquitto.db", ec);
  result["persistence_file_bytes"] = ec ? 0 : size;
  appendJson(o, result);
  std::printf(
      "  mosquitto, %d publishers%s: %.0f PUBACKs/s at saturation, p50 %.1f ms p99 %.1f ms; "
      "light p50 %.2f ms p99 %.2f ms; mosquitto %.2f cores, client %.2f cores\n",
      o.publishers, o.queuedSubscriber ? " + queued durable subscriber" : "",
      result["saturated"]["rate"].get<double>(), result["saturated"]["p50_ms"].get<double>(),
      result["saturated"]["p99_ms"].get<double>(), result["light"]["p50_ms"].get<double>(),
      result["light"]["p99_ms"].get<double>(), result["broker_cores"].get<double>(),
      result["client_cores"].get<double>());
  fs::remove_all(dir);
  return result["all_acked"].get<bool>() ? 0 : 1;
}

}  // namespace
}  // namespace samband::bench

int main(int argc, char** argv) {
  using namespace samband::bench;
  Options o;
  CLI::App app{"mqtt_bench: mosquitto QoS 1 PUBACK rate with the same load shape as ingest_bench"};
  app.add_option("--mosquitto", o.mosquittoBin, "Path to the mosquitto broker");
  app.add_option("--work", o.work, "Scratch directory")->required();
  app.add_option("--json", o.json, "Append the result to this JSON-lines file")->required();
  app.add_option("--publishers", o.publishers, "Publishers (one connection each)");
  app.add_option("--window", o.window, "Unacknowledged messages per publisher at most");
  app.add_option("--payload-bytes", o.payloadBytes, "Payload size (our envelope size)");
  app.add_option("--total", o.total, "Messages in the saturation run (all publishers)");
  app.add_option("--light-rate", o.lightRate, "Messages per second at light load");
  app.add_option("--light-seconds", o.lightSeconds, "Duration of the light load");
  app.add_flag("--queued-subscriber", o.queuedSubscriber,
               "Register an offline durable QoS 1 subscriber first, so messages are kept");
  app.add_option("--timeout-s", o.timeoutS, "Give up a phase after this long");
  CLI11_PARSE(app, argc, argv);
  mosquitto_lib_init();
  int rc = run(o);
  mosquitto_lib_cleanup();
  return rc;
}
