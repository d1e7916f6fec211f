// board_bench (issue 16, part 3): the board under many viewers. A real `samband-broker serve`
// and a real simulated city (`samband-sim run`: one agent per provider, each with its outbox and
// CURVE connection) send reports at RATE/s for UNITS units; VIEWERS logged-in viewers hold the
// live event stream (/api/events, SSE) open on real loopback sockets (one epoll thread here).
// Measured:
//   - from each report's arrival at the broker (frames.received_at, before its commit: an upper
//     bound of commit -> event) to the first event at each viewer whose frame_id covers it:
//     p50/p99/max over every (report, viewer) pair (target p99 < 1 s);
//   - the board's CPU: the broker's CPU with the viewers minus without them, same load, same
//     window length (target < 20 % of one core); the broker's RSS before and after;
//   - GET /api/units for every unit (target < 100 ms), with the load running.
//
//   board_bench --broker BIN --sim BIN --work DIR [--units 10000] [--providers 200]
//               [--rate 1000] [--viewers 500] [--streams-per-session 4] [--seconds 15]
//               [--json results.jsonl]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_process.h"

namespace {

namespace fs = std::filesystem;
using samband::bench::ChildProcess;
using Json = nlohmann::json;

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void die(const std::string& what) {
  std::cerr << "board_bench: " << what << "\n";
  std::exit(1);
}

// Runs a command to completion (output to `log`), optionally feeding `input` on stdin.
void run(const std::string& command, const std::string& log, const std::string& input = "") {
  const std::string full = command + " >>" + log + " 2>&1";
  FILE* p = ::popen(full.c_str(), "w");
  if (p == nullptr) die("cannot run " + command);
  if (!input.empty()) std::fwrite(input.data(), 1, input.size(), p);
  if (::pclose(p) != 0) die("failed: " + command + " (see " + log + ")");
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Sets `key = value` inside [table] of a TOML file written by `samband-broker init`.
void setTomlKey(const std::string& path, const std::string& table, const std::string& key,
                const std::string& value) {
  std::string text = readFile(path);
  const auto at = text.find("[" + table + "]");
  if (at == std::string::npos) die("no [" + table + "] in " + path);
  auto end = text.find("\n[", at + 1);
  if (end == std::string::npos) end = text.size();
  std::string section = text.substr(at, end - at);
  std::regex line("(^|\\n)#? *" + key + " *=[^\\n]*");
  if (std::regex_search(section, line)) {
    section = std::regex_replace(section, line, "$1" + key + " = " + value,
                                 std::regex_constants::format_first_only);
  } else {
    section += "\n" + key + " = " + value + "\n";
  }
  text = text.substr(0, at) + section + text.substr(end);
  std::ofstream(path) << text;
}

long rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int threadCount(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// One live-stream viewer: a raw socket reading the SSE stream; every "change" event is recorded
// with the wall-clock time it was read and its frame_id.
struct Viewer {
  int fd = -1;
  std::string buffer;
  std::vector<std::pair<int64_t, int64_t>> events;  // (received at ms, frame_id)
  bool closed = false;
  int status = 0;  // of the HTTP answer
  int64_t hello = 0;
};

bool connectViewer(Viewer& v, int port, const std::string& cookie) {
  v.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(v.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  const std::string req =
      "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: "
      "text/event-stream\r\nCookie: " +
      cookie + "\r\n\r\n";
  return ::send(v.fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
}

// Pulls complete events out of v.buffer (chunk-size lines between them are skipped: each event is
// one chunk, so an event's lines are never split by one).
void parseEvents(Viewer& v, int64_t now) {
  for (;;) {
    auto end = v.buffer.find("\n\n");
    if (end == std::string::npos) return;
    const std::string event = v.buffer.substr(0, end);
    v.buffer.erase(0, end + 2);
    auto data = event.find("data: ");
    if (data == std::string::npos) continue;
    auto j = Json::parse(event.substr(data + 6), nullptr, false);
    if (j.is_discarded() || !j.contains("frame_id")) continue;
    if (event.find("event: hello") != std::string::npos) {
      v.hello = now;
    } else if (event.find("event: change") != std::string::npos) {
      v.events.emplace_back(now, j["frame_id"].get<int64_t>());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"board_bench: the board under many viewers"};
  std::string brokerBin, simBin, work, jsonPath;
  int units = 4400, providers = 400, viewers = 500, perSession = 4, unitsRequests = 20;
  double rate = 1000, seconds = 15, warmup = 20;
  app.add_option("--broker", brokerBin, "samband-broker")->required();
  app.add_option("--sim", simBin, "samband-sim")->required();
  app.add_option("--work", work, "Scratch directory")->required();
  app.add_option("--units", units, "School units in the simulated city");
  app.add_option("--providers", providers, "Providers (one agent each)");
  app.add_option("--rate", rate, "Reports per second across the city");
  app.add_option("--viewers", viewers, "Live-stream viewers");
  app.add_option("--streams-per-session", perSession, "Viewers per login (board default 4)");
  app.add_option("--seconds", seconds, "Length of each measured window");
  app.add_option("--warmup", warmup, "Seconds of load before measuring");
  app.add_option("--units-requests", unitsRequests, "GET /api/units requests timed");
  app.add_option("--json", jsonPath, "Append the result to this JSON Lines file");
  CLI11_PARSE(app, argc, argv);
  samband::bench::raiseFileLimit(static_cast<uint64_t>(viewers) * 2 + 4096);

  fs::remove_all(work);
  fs::create_directories(work);
  const std::string log = work + "/setup.log";
  const int agentPort = samband::bench::freeLoopbackPort();
  const int boardPort = samband::bench::freeLoopbackPort();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(agentPort);
  const std::string brokerDir = work + "/broker", simDir = work + "/sim";
  const std::string config = brokerDir + "/broker.toml";
  auto t0 = std::chrono::steady_clock::now();
  run(brokerBin + " init --dir " + brokerDir + " --listen " + endpoint +
          " --board-listen 127.0.0.1:" + std::to_string(boardPort),
      log);
  // Thread per live stream in the board (cpp-httplib): room for every viewer and the API.
  // [board] threads is at most 1024; live streams may take half of them.
  setTomlKey(config, "board", "threads", std::to_string(std::min(1024, 2 * viewers + 24)));
  setTomlKey(config, "board", "streams_per_session", std::to_string(perSession));
  setTomlKey(config, "board", "streams_per_address", std::to_string(viewers + 16));
  // Every viewer comes from 127.0.0.1 here, and all connect within a moment.
  setTomlKey(config, "board", "max_waiting_per_address", std::to_string(viewers + 64));
  run(simBin + " init --dir " + simDir + " --broker " + endpoint + " --city-keys " + brokerDir +
          "/city.pub --providers " + std::to_string(providers) + " --units " +
          std::to_string(units),
      log);
  {
    std::ifstream in(simDir + "/requests.txt");
    std::string r, args;
    while (std::getline(in, r)) args += " --request " + r;
    run(brokerBin + " enroll --config " + config + args, log);
  }
  run(brokerBin + " roster import --config " + config + " " + simDir + "/roster.csv", log);
  const std::string password = "board-bench-password-1";
  run(brokerBin + " user add --config " + config + " --name viewer --role viewer", log,
      password + "\n");
  const double setupS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "setup: " << units << " units, " << providers << " providers, in " << setupS
            << " s\n";

  ChildProcess broker;
  std::string error;
  if (!broker.start({brokerBin, "serve", "--config", config}, work + "/broker.log", &error))
    die(error);
  for (int i = 0; i < 200 && !samband::bench::tcpAccepts(boardPort); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!samband::bench::tcpAccepts(boardPort)) die("the board did not come up; see broker.log");

  ChildProcess sim;
  const int duration = static_cast<int>(warmup + 2 * seconds + 30);
  if (!sim.start({simBin, "run", "--dir", simDir, "--rate", std::to_string(rate), "--duration",
                  std::to_string(duration), "--scenario", "none", "--status-every", "5"},
                 work + "/sim.log", &error))
    die(error);
  const std::string db = brokerDir + "/samband.db";
  auto frameCount = [&]() -> int64_t {
    try {
      SQLite::Database d(db, SQLite::OPEN_READONLY);
      return d.execAndGet("SELECT coalesce(max(id), 0) FROM frames").getInt64();
    } catch (const std::exception&) {
      return 0;
    }
  };

  // Logins while the city warms up (argon2id: about 0.1 s each, two at a time).
  const int sessions = (viewers + perSession - 1) / perSession;
  std::vector<std::string> cookies(static_cast<size_t>(sessions));
  {
    std::atomic<int> next{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; t++) {
      threads.emplace_back([&] {
        httplib::Client c("127.0.0.1", boardPort);
        c.set_read_timeout(30, 0);
        for (int i; (i = next++) < sessions;) {
          auto r = c.Post("/api/login", Json{{"name", "viewer"}, {"password", password}}.dump(),
                          "application/json");
          if (!r || r->status != 200) {
            failed++;
            continue;
          }
          std::string cookie = r->get_header_value("Set-Cookie");
          cookies[static_cast<size_t>(i)] = cookie.substr(0, cookie.find(';'));
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed > 0) die(std::to_string(failed.load()) + " logins failed");
  }
  const std::string firstCookie = cookies[0];
  const double loggedInS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - setupS;
  std::cout << sessions << " logins in " << loggedInS << " s\n";
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - setupS <
         warmup)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Window A: the load, no viewers.
  const pid_t bp = broker.pid();
  const long rssBefore = rssKiB(bp);
  const int threadsBefore = threadCount(bp);
  double cpu0 = samband::bench::processCpuSeconds(bp);
  int64_t frames0 = frameCount();
  auto w0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double windowA =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double cpuA = samband::bench::processCpuSeconds(bp) - cpu0;
  const int64_t framesA = frameCount() - frames0;

  // The viewers connect, then window B: the same load with them.
  std::vector<Viewer> all(static_cast<size_t>(viewers));
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < viewers; i++) {
    Viewer& v = all[static_cast<size_t>(i)];
    if (!connectViewer(v, boardPort, cookies[static_cast<size_t>(i / perSession)]))
      die("viewer " + std::to_string(i) + " could not connect");
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(ep, EPOLL_CTL_ADD, v.fd, &e);
  }
  std::atomic<bool> stopReading{false};
  std::thread reader([&] {
    std::vector<epoll_event> ready(256);
    char buf[16384];
    while (!stopReading) {
      int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 100);
      const int64_t now = wallMs();
      for (int k = 0; k < n; k++) {
        Viewer& v = all[ready[static_cast<size_t>(k)].data.u32];
        ssize_t got = ::recv(v.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got <= 0) {
          if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
            v.closed = true;
            ::epoll_ctl(ep, EPOLL_CTL_DEL, v.fd, nullptr);
          }
          continue;
        }
        v.buffer.append(buf, static_cast<size_t>(got));
        if (v.status == 0 && v.buffer.size() >= 12) v.status = std::atoi(v.buffer.c_str() + 9);
        parseEvents(v, now);
      }
    }
  });
  // Every viewer greeted before the window starts.
  for (int i = 0; i < 300; i++) {
    int greeted = 0;
    for (const auto& v : all) greeted += v.hello > 0 ? 1 : 0;
    if (greeted == viewers) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int greeted = 0;
  for (const auto& v : all) greeted += v.hello > 0 ? 1 : 0;
  const int64_t windowStartMs = wallMs();
  cpu0 = samband::bench::processCpuSeconds(bp);
  frames0 = frameCount();
  w0 = std::chrono::steady_clock::now();
  const auto wEnd = w0 + std::chrono::duration<double>(seconds);
  std::this_thread::sleep_until(wEnd);
  const double windowB =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double cpuB = samband::bench::processCpuSeconds(bp) - cpu0;
  const int64_t framesB = frameCount() - frames0;
  const int64_t windowEndMs = wallMs();
  const int closedInWindow = [&] {
    int n = 0;
    for (const auto& v : all) n += v.closed ? 1 : 0;
    return n;
  }();
  const long rssAfter = rssKiB(bp);
  const int threadsAfter = threadCount(bp);
  // /api/units for every unit, timed after the window, the load and the viewers still on (a fresh
  // connection each, as a page load).
  std::vector<int64_t> unitsNs;
  size_t unitsBytes = 0;
  int unitsCount = 0;
  for (int i = 0; i < unitsRequests; i++) {
    httplib::Client c("127.0.0.1", boardPort);
    httplib::Headers h{{"Cookie", firstCookie}};
    const int64_t t = samband::bench::nowNs();
    auto r = c.Get("/api/units", h);
    unitsNs.push_back(samband::bench::nowNs() - t);
    if (!r || r->status != 200) die("GET /api/units failed");
    unitsBytes = r->body.size();
    auto j = Json::parse(r->body, nullptr, false);
    if (j.is_array())
      unitsCount = static_cast<int>(j.size());
    else if (j.is_object() && j.contains("units"))
      unitsCount = static_cast<int>(j["units"].size());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const long rssAfterUnits = rssKiB(bp);
  // Let the last events arrive (the board looks for changes every 250 ms).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stopReading = true;
  reader.join();
  int closed = 0;
  for (auto& v : all) {
    closed += v.closed ? 1 : 0;
    ::close(v.fd);
  }
  ::close(ep);
  sim.stop(5000);

  // Latency per (report, viewer): reports that arrived in window B, first event covering them.
  std::vector<std::pair<int64_t, int64_t>> arrived;  // (frame id, received_at ms)
  {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    SQLite::Statement q(d,
                        "SELECT id, received_at FROM frames WHERE received_at >= ? AND "
                        "received_at < ? ORDER BY id");
    q.bind(1, windowStartMs);
    q.bind(2, windowEndMs - 1000);  // every viewer had a second and more to see these
    while (q.executeStep())
      arrived.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
  }
  broker.stop();
  std::vector<int64_t> lat;
  lat.reserve(arrived.size() * all.size());
  int64_t missed = 0, events = 0;
  for (const auto& v : all) {
    events += static_cast<int64_t>(v.events.size());
    size_t e = 0;
    for (const auto& [id, at] : arrived) {  // ids ascending; event frame ids ascending
      while (e < v.events.size() && v.events[e].second < id) e++;
      if (e == v.events.size()) {
        missed++;
        continue;
      }
      lat.push_back(v.events[e].first - at);
    }
  }
  auto pct = [](std::vector<int64_t>& s, double p) { return samband::bench::percentile(s, p); };
  const double p50 = pct(lat, 50), p99 = pct(lat, 99);
  const double maxLat =
      lat.empty() ? 0 : static_cast<double>(*std::max_element(lat.begin(), lat.end()));
  const double unitsP50 = pct(unitsNs, 50) / 1e6, unitsMax = pct(unitsNs, 100) / 1e6;
  // The broker's CPU for ingest scales with the reports; the rest of window B is the board's.
  const double ingestCpuPerReport = framesA > 0 ? cpuA / static_cast<double>(framesA) : 0;
  const double boardCores = (cpuB - ingestCpuPerReport * static_cast<double>(framesB)) / windowB;
  int refused = 0;
  for (const auto& v : all) refused += v.status != 200 ? 1 : 0;

  std::printf(
      "load: %.0f reports/s without viewers, %.0f /s with (target %.0f /s)\n"
      "viewers: %d (%d logins x %d streams), %d greeted, %d not answered 200, %d closed by the "
      "board during the window (%d by the end); %lld change events\n"
      "report arrival -> event at every viewer: p50 %.0f ms, p99 %.0f ms, max %.0f ms over %zu "
      "pairs (%zu reports x %d viewers); %lld pairs never covered (target p99 < 1000 ms)\n"
      "broker CPU: %.3f cores without viewers, %.3f with; less ingest at window A's CPU per "
      "report, the board's share is %.1f %% of one core (target < 20 %%)\n"
      "broker RSS: %ld MiB before the viewers, %ld MiB with them, %ld MiB after the /api/units "
      "requests; threads %d -> %d\n"
      "GET /api/units (%d units, %zu bytes): p50 %.1f ms, max %.1f ms over %d requests (target "
      "< 100 ms)\n",
      static_cast<double>(framesA) / windowA, static_cast<double>(framesB) / windowB, rate, viewers,
      sessions, perSession, greeted, refused, closedInWindow, closed,
      static_cast<long long>(events), p50, p99, maxLat, lat.size(), arrived.size(), viewers,
      static_cast<long long>(missed), cpuA / windowA, cpuB / windowB, 100 * boardCores,
      rssBefore / 1024, rssAfter / 1024, rssAfterUnits / 1024, threadsBefore, threadsAfter,
      unitsCount, unitsBytes, unitsP50, unitsMax, unitsRequests);
  if (!jsonPath.empty()) {
    Json j{{"bench", "board"},
           {"units", units},
           {"providers", providers},
           {"target_rate", rate},
           {"rate_without_viewers", static_cast<double>(framesA) / windowA},
           {"rate_with_viewers", static_cast<double>(framesB) / windowB},
           {"viewers", viewers},
           {"sessions", sessions},
           {"greeted", greeted},
           {"closed", closed},
           {"closed_in_window", closedInWindow},
           {"refused", refused},
           {"events", events},
           {"pairs", lat.size()},
           {"missed", missed},
           {"p50_ms", p50},
           {"p99_ms", p99},
           {"max_ms", maxLat},
           {"broker_cores_without", cpuA / windowA},
           {"broker_cores_with", cpuB / windowB},
           {"board_core_share", boardCores},
           {"rss_kib_before", rssBefore},
           {"rss_kib_after", rssAfter},
           {"rss_kib_after_units", rssAfterUnits},
           {"threads_before", threadsBefore},
           {"threads_after", threadsAfter},
           {"units_count", unitsCount},
           {"units_bytes", unitsBytes},
           {"units_p50_ms", unitsP50},
           {"units_max_ms", unitsMax},
           {"window_s", seconds}};
    std::ofstream(jsonPath, std::ios::app) << j.dump() << "\n";
  }
  return 0;
}
