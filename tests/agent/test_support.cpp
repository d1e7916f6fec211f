// Test helpers; see test_support.h.
#include "tests/agent/test_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/agent_init.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/enrollment.h"
#include "common/ids.h"

namespace samband::agent::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/samband-agent-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void useFastTimings(AgentConfig* c) {
  c->heartbeatIntervalMs = 200;
  c->heartbeatHeightenedMs = 100;
  c->heartbeatHighestMs = 50;
  c->ackTimeoutMs = 400;
  c->reconnectMinMs = 50;
  c->reconnectMaxMs = 400;
}

AgentFixture makeAgent(const std::string& dir, const std::string& endpoint) {
  AgentFixture f;
  f.city = common::Identity::generate("city");
  f.cityPubPath = dir + "/city.pub";
  if (common::Status s = f.city->publicPart().save(f.cityPubPath); !s) {
    std::fprintf(stderr, "cannot write city.pub: %s\n", s.error().message.c_str());
    std::abort();
  }
  InitRequest r;
  r.dir = dir + "/agent";
  r.provider = "556677-8899";
  r.name = "Exempelskolan AB";
  r.broker = endpoint;
  r.cityKeysPath = f.cityPubPath;
  r.units = {"12345678", "87654321"};
  common::SystemClock clock;
  auto made = initAgentDirectory(r, clock.nowMs());
  if (!made) {
    std::fprintf(stderr, "init failed: %s\n", made.error().message.c_str());
    std::abort();
  }
  f.agentDir = r.dir;
  auto config = loadAgentConfig(made->configPath);
  if (!config) {
    std::fprintf(stderr, "agent.toml does not load: %s\n", config.error().message.c_str());
    std::abort();
  }
  f.config = *config;
  useFastTimings(&f.config);
  auto text = common::readFile(made->requestPath);
  auto request = common::parseEnrollRequest(*text, made->requestPath);
  if (!request) {
    std::fprintf(stderr, "enroll request invalid: %s\n", request.error().message.c_str());
    std::abort();
  }
  f.agentKeys =
      common::PublicIdentity{request->provider, request->signPublic, request->curvePublic};
  return f;
}

bool driveUntil(AgentSession& session, const std::function<bool()>& done, int64_t timeoutMs) {
  const int64_t deadline = common::monotonicMs() + timeoutMs;
  while (!done()) {
    int64_t now = common::monotonicMs();
    if (now >= deadline) return done();
    auto items = session.pollItems();
    int64_t wait = std::clamp<int64_t>(session.nextWakeMs() - now, 0, 10);
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(wait));
    now = common::monotonicMs();
    bool readable = false;
    for (const auto& item : items) readable = readable || (item.revents & ZMQ_POLLIN) != 0;
    if (readable) session.onReadable(now);
    session.onTimer(now);
  }
  return true;
}

bool waitUntil(const std::function<bool()>& done, int64_t timeoutMs) {
  const int64_t deadline = common::monotonicMs() + timeoutMs;
  while (!done()) {
    if (common::monotonicMs() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling, not synchronising
  }
  return true;
}

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int spawn(const std::vector<std::string>& args, const std::string& outPath,
          const std::string& errPath) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -2;
}

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& args) {
  TempDir logs;
  ProcessResult r;
  int pid = spawn(args, logs.file("out"), logs.file("err"));
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exitCode = decodeStatus(status);
  r.out = readAll(logs.file("out"));
  r.err = readAll(logs.file("err"));
  return r;
}

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& logDir)
    : errPath_(logDir + "/child.err") {
  pid_ = spawn(args, logDir + "/child.out", errPath_);
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ChildProcess::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int ChildProcess::waitExit(int64_t timeoutMs) {
  int code = -1;
  waitUntil(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          reaped_ = true;
          code = decodeStatus(status);
          return true;
        }
        return false;
      },
      timeoutMs);
  return code;
}

std::string ChildProcess::stderrText() const { return readAll(errPath_); }

std::string agentBinary() { return SAMBAND_AGENT_BIN; }

int unusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

common::Bytes CityChainWriter::next(const common::Identity& signer, common::Payload payload,
                                    common::Mode mode, int64_t sentAtMs) {
  common::Message m;
  m.senderId = common::kCitySenderId;
  m.keyId = signer.keyId();
  m.seq = ++seq_;
  m.prevHash = prevHash_;
  m.sentAt = sentAtMs;
  m.mode = mode;
  m.payload = std::move(payload);
  auto sealed = common::seal(signer, m);
  prevHash_ = sealed.bodyHash;
  return sealed.envelope;
}

}  // namespace samband::agent::test
