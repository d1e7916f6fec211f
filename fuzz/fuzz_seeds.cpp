// Writes a seed corpus of valid frames (every body kind, envelopes and downlinks) into the
// directory given as the only argument, so the fuzzer starts from legal messages.
#include <fstream>
#include <iostream>
#include <string>

#include "common/codec.h"
#include "common/identity.h"

using namespace samband::common;

namespace {
void write(const std::string& dir, const std::string& name, const Bytes& b) {
  std::ofstream(dir + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds DIR\n";
    return 2;
  }
  initSodium();
  std::string dir = argv[1];
  auto id = Identity::generate("556677-8899");
  Message m;
  m.senderId = id->id();
  m.keyId = id->keyId();
  m.sentAt = 1'700'000'000'000;
  m.seq = 1;
  UnitStatusMsg s;
  s.unitCode = "12345678";
  s.operational = OperationalState::REDUCED;
  s.note = "Reservkraft i drift";
  std::vector<Payload> payloads{
      s,
      CapacityMsg{"12345678", {{SchoolForm::GRUNDSKOLA, 3, 25, 2, 4}}},
      ContinuityMsg{ContinuityState::AT_RISK, 0, "osäkert"},
      ReadinessAnswerMsg{"rc-1", {{"disk_free", true, "12 GB"}}, false, 1},
      DirectiveAckMsg{"D-000001", AckKind::DELIVERED},
      ReadinessCheckMsg{"rc-1", 1, 2, true},
      DirectiveMsg{"D-000001", 1, "Höjd beredskap", ReadinessLevel::HEIGHTENED, true, 5, {}},
  };
  int n = 0;
  for (const auto& p : payloads) {
    m.payload = p;
    auto sealed = seal(*id, m);
    write(dir, "envelope-" + std::to_string(n), sealed.envelope);
    write(dir, "body-" + std::to_string(n), sealed.body);
    ++n;
  }
  Message hb = m;
  hb.seq = 0;
  hb.payload = HeartbeatMsg{3, 1, ReadinessLevel::NORMAL};
  write(dir, "heartbeat", seal(*id, hb).envelope);
  write(dir, "downlink-ack", encodeDownlink(AckMsg{7, false}));
  write(dir, "downlink-reject",
        encodeDownlink(RejectMsg{7, RejectReason::REPLAY, 6, Bytes(32, 1), "taken"}));
  write(dir, "downlink-head", encodeDownlink(HeadMsg{6, Bytes(32, 2), 1, {}}));
  return 0;
}
