// Test helpers; see test_support.h.
#include "tests/agent/test_support.h"

#include <algorithm>
#include <chrono>

#include "agent/agent_init.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/enrollment.h"
#include "common/ids.h"

namespace samband::agent::test {

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

std::string agentBinary() { return SAMBAND_AGENT_BIN; }
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
