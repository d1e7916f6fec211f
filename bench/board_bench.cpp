// board_bench (issue 16, part 3): the board under many viewers. A real `samband-broker serve`
// gets RATE unit-status reports/s for UNITS units from the signed-envelope senders ingest_bench
// uses (bench_fleet.h: one enrolled agent per provider with its own keys, a real CURVE connection
// each, every report a signed envelope of a chain, paced round robin); VIEWERS logged-in viewers
// hold the live event stream (/api/events, SSE) open on real loopback sockets (one epoll thread
// here). A city's own schools are enrolled as several providers of at most 2,000 units (one
// enrolment record names at most common::kMaxEnrolmentUnits), so 10,000 units enrol.
// Measured:
//   - from each report's arrival at the broker (frames.received_at, before its commit: an upper
//     bound of commit -> event) to the first event at each viewer whose frame_id covers it:
//     p50/p99/max over every (report, viewer) pair (target p99 < 1 s);
//   - the board's CPU: the broker's CPU with the viewers minus without them, same load, same
//     window length (target < 20 % of one core); the broker's RSS before and after;
//   - the rate reached (reports archived per second) in each window;
//   - GET /api/units and GET /api/picture for every unit (target < 100 ms) and GET /metrics, with
//     the load and the viewers on.
//
//   board_bench --broker BIN --work DIR [--units 10000] [--providers 400] [--rate 1000]
//               [--viewers 500] [--streams-per-session 4] [--seconds 15] [--warmup 10]
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
#include <cmath>
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

#include "bench/bench_fleet.h"
#include "bench/bench_process.h"
#include "common/limits.h"
#include "tools/city_model.h"

namespace {

namespace fs = std::filesystem;
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

// CPU time so far of each thread of `pid` (ns, from /proc/PID/task/TID/schedstat), leaving out
// the ingest threads and the WAL checkpointer (they name themselves): what remains are the
// board's threads (HTTP workers, live streams, the change watch).
std::map<std::string, int64_t> boardThreadCpuNs(pid_t pid) {
  std::map<std::string, int64_t> out;
  const std::string base = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& t : fs::directory_iterator(base, ec)) {
    std::string comm;
    std::getline(std::ifstream(t.path() / "comm"), comm);
    if (comm.rfind("ingest", 0) == 0 || comm.rfind("wal-", 0) == 0) continue;
    int64_t ns = 0;
    std::ifstream(t.path() / "schedstat") >> ns;
    out[t.path().filename().string()] = ns;
  }
  return out;
}

// The most CPU any one board thread used between two snapshots: the worker that served a request
// made between them (the streams' threads use a fraction of a millisecond meanwhile).
int64_t busiestThreadNs(const std::map<std::string, int64_t>& before,
                        const std::map<std::string, int64_t>& after) {
  int64_t most = 0;
  for (const auto& [tid, ns] : after) {
    auto b = before.find(tid);
    most = std::max(most, ns - (b == before.end() ? 0 : b->second));
  }
  return most;
}

// One GET on a fresh loopback connection read the way a browser reads (1 MiB at a time into a
// buffer sized by Content-Length), so the figure is the board's and not the client's: httplib's
// client reads 4 KiB per call into a growing string, which alone costs tens of ms for 7.5 MiB.
struct RawAnswer {
  int status = 0;
  std::string body;
  int64_t firstByteNs = 0;  // request sent -> first byte of the answer
  int64_t lastByteNs = 0;   // request sent -> last byte
};

bool rawGet(int port, const std::string& path, const std::string& cookie, RawAnswer& out) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const int64_t t0 = samband::bench::nowNs();
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie +
                          "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return false;
  }
  std::string all;
  std::vector<char> buf(1 << 20);
  size_t headEnd = std::string::npos, length = std::string::npos;
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    if (all.empty()) out.firstByteNs = samband::bench::nowNs() - t0;
    all.append(buf.data(), static_cast<size_t>(n));
    if (headEnd == std::string::npos) {
      headEnd = all.find("\r\n\r\n");
      if (headEnd != std::string::npos) {
        std::string head = all.substr(0, headEnd);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto cl = head.find("content-length:");
        if (cl != std::string::npos) {
          length = std::stoul(head.substr(cl + 15));
          all.reserve(headEnd + 4 + length);
        }
        out.status = std::stoi(all.substr(9, 3));
      }
    }
    if (length != std::string::npos && all.size() >= headEnd + 4 + length) break;
  }
  out.lastByteNs = samband::bench::nowNs() - t0;
  ::close(fd);
  if (headEnd == std::string::npos) return false;
  out.body = all.substr(headEnd + 4);
  return true;
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
  std::string brokerBin, work, jsonPath;
  int units = 10000, providers = 400, viewers = 500, perSession = 4, unitsRequests = 20;
  double rate = 1000, seconds = 15, warmup = 10;
  app.add_option("--broker", brokerBin, "samband-broker")->required();
  app.add_option("--work", work, "Scratch directory")->required();
  app.add_option("--units", units, "School units in the simulated city");
  app.add_option("--providers", providers,
                 "Providers in the city model (the city's own schools enrolled as several)");
  app.add_option("--rate", rate, "Reports per second across the city");
  app.add_option("--viewers", viewers, "Live-stream viewers");
  app.add_option("--streams-per-session", perSession, "Viewers per login (board default 4)");
  app.add_option("--seconds", seconds, "Length of each measured window");
  app.add_option("--warmup", warmup, "Seconds of load before measuring");
  app.add_option("--units-requests", unitsRequests,
                 "GET /api/units and /api/picture requests timed (each)");
  app.add_option("--json", jsonPath, "Append the result to this JSON Lines file");
  CLI11_PARSE(app, argc, argv);
  samband::bench::raiseFileLimit(static_cast<uint64_t>(viewers) * 2 + 4096);

  fs::remove_all(work);
  fs::create_directories(work);
  const std::string log = work + "/setup.log";
  auto t0 = std::chrono::steady_clock::now();
  // The load: every report signed up front (a chain per agent), enough for the whole run at RATE.
  // Logins take about 0.25 s per 4 viewers; each /api/units or /api/picture request about 0.5 s.
  const double loadSeconds =
      warmup + 2 * seconds + viewers / 16.0 + 1.2 * unitsRequests + 3 * unitsRequests * 0.1 + 30;
  samband::bench::FleetOptions fo;
  fo.providers = providers;
  fo.units = units;
  fo.seed = 16;
  fo.targetBodyBytes = 0;  // the city model's reports as they are (~250 bytes)
  fo.maxUnitsPerAgent = samband::common::kMaxEnrolmentUnits;
  {
    // The city's own schools become several agents: count them before sizing the chains.
    samband::tools::CityOptions co{providers, units, fo.seed};
    auto city = samband::tools::generateCity(co);
    if (!city) die("cannot generate the city: " + city.error().message);
    size_t agents = 0;
    for (const auto& p : city->providers)
      agents += (p.units.size() + fo.maxUnitsPerAgent - 1) / fo.maxUnitsPerAgent;
    fo.reports = static_cast<size_t>(std::ceil(rate * loadSeconds / static_cast<double>(agents)));
  }
  samband::bench::Fleet fleet = samband::bench::makeFleet(fo);
  std::cout << "signed " << fleet.agents.size() << " agents x " << fo.reports << " reports in "
            << fleet.signSeconds << " s\n";
  const std::string brokerDir = work + "/broker";
  auto b = samband::bench::prepareBroker(
      brokerBin, brokerDir,
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u)), fleet);
  if (!b) die("cannot prepare the broker");
  const int boardPort = b->boardPort;
  const std::string config = b->config;
  // Thread per live stream in the board (cpp-httplib): room for every viewer and the API.
  // [board] threads is at most 1024; live streams may take half of them.
  setTomlKey(config, "board", "threads", std::to_string(std::min(1024, 2 * viewers + 24)));
  setTomlKey(config, "board", "streams_per_session", std::to_string(perSession));
  setTomlKey(config, "board", "streams_per_address", std::to_string(viewers + 16));
  // Every viewer comes from 127.0.0.1 here, and all connect within a moment.
  setTomlKey(config, "board", "max_waiting_per_address", std::to_string(viewers + 64));
  // Names, districts and school forms of every unit (the agents' enrolment named the units).
  std::ofstream(work + "/roster.csv") << samband::tools::rosterCsv(fleet.city);
  run(brokerBin + " roster import --config " + config + " " + work + "/roster.csv", log);
  const std::string password = "board-bench-password-1";
  run(brokerBin + " user add --config " + config + " --name viewer --role viewer", log,
      password + "\n");
  const double setupS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "setup: " << units << " units, " << fleet.agents.size() << " enrolled agents ("
            << providers << " providers in the model), in " << setupS << " s\n";

  if (!samband::bench::startBroker(*b, brokerBin)) die("the broker did not come up");
  for (int i = 0; i < 200 && !samband::bench::tcpAccepts(boardPort); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!samband::bench::tcpAccepts(boardPort)) die("the board did not come up; see broker.log");

  // The senders, on their own thread (they own their sockets): connect every agent, then send
  // RATE reports/s until told to stop.
  std::atomic<bool> stopLoad{false}, connected{false}, connectFailed{false};
  std::vector<int64_t> ackNs;
  samband::bench::Counters sendCounters;
  std::thread load([&] {
    zmq::context_t context(2);
    samband::bench::Driver driver(context, fleet, *b, 64);
    if (!driver.connectAll(120000)) {
      connectFailed = true;
      return;
    }
    connected = true;
    ackNs = driver.paced(rate, fo.reports, static_cast<int>(loadSeconds * 2000), &stopLoad, 5);
    sendCounters = driver.counters();
  });
  while (!connected && !connectFailed) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto loadStart = std::chrono::steady_clock::now();
  if (connectFailed) {
    load.join();
    die("not every agent connected within 120 s; see " + brokerDir + ".log");
  }
  const std::string db = b->database;
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
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - loadStart).count() <
         warmup)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Window A: the load, no viewers.
  const pid_t bp = b->process.pid();
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
  // /api/units and /api/picture for every unit, and /metrics, timed after the window, the load
  // and the viewers still on (a fresh connection each, as a page load; no `v`, so each is
  // rendered afresh rather than served from the per-version cache).
  struct Timed {
    std::vector<int64_t> ns;
    size_t bytes = 0;
    int units = 0;
    std::vector<int64_t> rawFirstNs, rawLastNs;  // the same GET read as a browser reads
    std::vector<int64_t> servingCpuNs;           // CPU of the board thread that served each raw GET
    double brokerCpuS = 0;  // the broker's CPU over both series, less ingest at window B's rate
  };
  const double cpuRateB = cpuB / windowB;
  auto timeGets = [&](const std::string& path, int count, bool countUnits) {
    Timed out;
    const auto seriesStart = std::chrono::steady_clock::now();
    const double cpuStart = samband::bench::processCpuSeconds(bp);
    for (int i = 0; i < count; i++) {
      httplib::Client c("127.0.0.1", boardPort);
      c.set_read_timeout(30, 0);
      httplib::Headers h{{"Cookie", firstCookie}};
      const int64_t t = samband::bench::nowNs();
      auto r = c.Get(path, h);
      out.ns.push_back(samband::bench::nowNs() - t);
      if (!r || r->status != 200) die("GET " + path + " failed");
      out.bytes = r->body.size();
      if (countUnits) {
        auto j = Json::parse(r->body, nullptr, false);
        if (j.is_object() && j.contains("units")) {
          out.units = static_cast<int>(j["units"].size());
        } else if (j.is_object() && j.contains("providers")) {
          out.units = 0;
          for (const auto& p : j["providers"]) out.units += static_cast<int>(p["units"].size());
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (int i = 0; i < count; i++) {
      RawAnswer a;
      const auto threadsBefore = boardThreadCpuNs(bp);
      if (!rawGet(boardPort, path, firstCookie, a) || a.status != 200) {
        die("GET " + path + " (raw) failed");
      }
      out.servingCpuNs.push_back(busiestThreadNs(threadsBefore, boardThreadCpuNs(bp)));
      if (a.body.size() != out.bytes && countUnits && out.bytes > 0) {
        // Sizes move with the picture (ages, counts); only a gross difference is a failure.
        if (a.body.size() < out.bytes / 2) die("GET " + path + " (raw) answered too little");
      }
      out.rawFirstNs.push_back(a.firstByteNs);
      out.rawLastNs.push_back(a.lastByteNs);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const double seriesS =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - seriesStart).count();
    out.brokerCpuS = samband::bench::processCpuSeconds(bp) - cpuStart - cpuRateB * seriesS;
    return out;
  };
  Timed unitsGet = timeGets("/api/units", unitsRequests, true);
  Timed pictureGet = timeGets("/api/picture", unitsRequests, true);
  Timed metricsGet = timeGets("/metrics", unitsRequests, false);
  std::vector<int64_t>& unitsNs = unitsGet.ns;
  const size_t unitsBytes = unitsGet.bytes;
  const int unitsCount = unitsGet.units;
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
  stopLoad = true;
  load.join();

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
  b->process.stop();
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
  const double pictureP50 = pct(pictureGet.ns, 50) / 1e6,
               pictureMax = pct(pictureGet.ns, 100) / 1e6;
  const double metricsP50 = pct(metricsGet.ns, 50) / 1e6,
               metricsMax = pct(metricsGet.ns, 100) / 1e6;
  const double ackP50 = pct(ackNs, 50) / 1e6, ackP99 = pct(ackNs, 99) / 1e6;
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
      "< 100 ms)\n"
      "GET /api/picture (%d units, %zu bytes): p50 %.1f ms, max %.1f ms; GET /metrics (%zu "
      "bytes): p50 %.1f ms, max %.1f ms\n"
      "senders: %zu agents, %llu reports acknowledged (report -> ack p50 %.1f ms, p99 %.1f ms), "
      "%llu refused\n",
      static_cast<double>(framesA) / windowA, static_cast<double>(framesB) / windowB, rate, viewers,
      sessions, perSession, greeted, refused, closedInWindow, closed,
      static_cast<long long>(events), p50, p99, maxLat, lat.size(), arrived.size(), viewers,
      static_cast<long long>(missed), cpuA / windowA, cpuB / windowB, 100 * boardCores,
      rssBefore / 1024, rssAfter / 1024, rssAfterUnits / 1024, threadsBefore, threadsAfter,
      unitsCount, unitsBytes, unitsP50, unitsMax, unitsRequests, pictureGet.units, pictureGet.bytes,
      pictureP50, pictureMax, metricsGet.bytes, metricsP50, metricsMax, fleet.agents.size(),
      static_cast<unsigned long long>(sendCounters.acks), ackP50, ackP99,
      static_cast<unsigned long long>(sendCounters.rejects));
  // The same GETs read with 1 MiB reads (rawGet), and the broker's CPU per request.
  auto rawLine = [&](const char* what, Timed& t, int count) {
    const double first = pct(t.rawFirstNs, 50) / 1e6, last = pct(t.rawLastNs, 50) / 1e6,
                 lastMax = pct(t.rawLastNs, 100) / 1e6;
    const double cpuMs = 1000 * t.brokerCpuS / (2.0 * count);
    const double servingMs = pct(t.servingCpuNs, 50) / 1e6;
    std::printf(
        "  %s read as a browser reads: first byte p50 %.1f ms, last byte p50 %.1f ms, max %.1f "
        "ms; CPU of the serving thread p50 %.1f ms; broker CPU %.1f ms per request (less ingest "
        "at window B's rate, noisy)\n",
        what, first, last, lastMax, servingMs, cpuMs);
    return Json{{"first_byte_p50_ms", first},
                {"last_byte_p50_ms", last},
                {"last_byte_max_ms", lastMax},
                {"serving_thread_cpu_p50_ms", servingMs},
                {"broker_cpu_ms_per_request", cpuMs}};
  };
  const Json unitsRaw = rawLine("GET /api/units", unitsGet, unitsRequests);
  const Json pictureRaw = rawLine("GET /api/picture", pictureGet, unitsRequests);
  const Json metricsRaw = rawLine("GET /metrics", metricsGet, unitsRequests);
  for (const auto& [reason, n] : sendCounters.rejectReasons)
    std::printf("  refused %s: %llu\n", reason.c_str(), static_cast<unsigned long long>(n));
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
           {"picture_units", pictureGet.units},
           {"picture_bytes", pictureGet.bytes},
           {"picture_p50_ms", pictureP50},
           {"picture_max_ms", pictureMax},
           {"metrics_bytes", metricsGet.bytes},
           {"metrics_p50_ms", metricsP50},
           {"metrics_max_ms", metricsMax},
           {"units_raw", unitsRaw},
           {"picture_raw", pictureRaw},
           {"metrics_raw", metricsRaw},
           {"agents", fleet.agents.size()},
           {"acked", sendCounters.acks},
           {"reports_refused", sendCounters.rejects},
           {"ack_p50_ms", ackP50},
           {"ack_p99_ms", ackP99},
           {"window_s", seconds}};
    std::ofstream(jsonPath, std::ios::app) << j.dump() << "\n";
  }
  return 0;
}
