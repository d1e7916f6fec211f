// Writes seed corpora of valid inputs under the directory given as the only argument, one
// folder per fuzz target (fuzz/targets.cmake): frame/ (every body kind, envelopes, downlinks),
// offline_file/ and enroll_request/, so the fuzzer starts from legal input. The kept corpus in
// fuzz/corpus/ was made with it; roster_csv/ and board_body/ seeds are written by hand there.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "common/batch_envelope.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/offline_file.h"

using namespace samband::common;

namespace {
Bytes toBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
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
  const std::string root = argv[1];
  const std::string dir = root + "/frame";
  std::filesystem::create_directories(dir);
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
      DirectiveAckMsg{"D-000001", AckKind::DELIVERED, {}},
      ReadinessCheckMsg{"rc-1", 1, 2, true, {}},
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
  auto city = Identity::generate(kCitySenderId);
  Message beacon;
  beacon.senderId = kCitySenderId;
  beacon.keyId = city->keyId();
  beacon.sentAt = 1'700'000'000'000;
  beacon.payload = TimeBeaconMsg{ReadinessLevel::HEIGHTENED, 4, "rc-1", 1'699'999'000'000, {}};
  const Bytes beaconEnvelope = seal(*city, beacon).envelope;
  write(dir, "time-beacon", beaconEnvelope);
  write(dir, "downlink-head-beacon",
        encodeDownlink(HeadMsg{6, Bytes(32, 2), 1'700'000'000'000, beaconEnvelope}));

  const std::string offline = root + "/offline_file";
  std::filesystem::create_directories(offline);
  OfflineFile file;
  file.header.provider = id->id();
  file.header.keyIdHex = toHex(id->keyId());
  file.header.exportedAtMs = 1'700'000'000'000;
  write(offline, "empty", toBytes(encodeOfflineFile(file).value()));
  m.seq = 1;
  m.prevHash.clear();
  m.payload = s;
  auto first = seal(*id, m);
  m.seq = 2;
  m.prevHash = first.bodyHash;
  auto second = seal(*id, m);
  file.header.firstSeq = 1;
  file.header.lastSeq = 2;
  file.envelopes = {first.envelope, second.envelope};
  write(offline, "two-reports", toBytes(encodeOfflineFile(file).value()));

  // Batch frames (issue 16): three chained reports under one signature, and one of a single
  // report (legal to decode; the broker takes a single report as an envelope).
  const std::string batchDir = root + "/batch";
  std::filesystem::create_directories(batchDir);
  {
    std::vector<Bytes> bodies;
    Message r = m;
    r.payload = s;
    r.prevHash.clear();
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      r.seq = seq;
      bodies.push_back(encodeBody(r));
      r.prevHash = hash256(bodies.back());
    }
    write(batchDir, "three-reports", encodeBatch(bodies, signBatch(*id, bodies)));
    std::vector<Bytes> one(bodies.begin(), bodies.begin() + 1);
    write(batchDir, "one-report", encodeBatch(one, signBatch(*id, one)));
  }

  const std::string enroll = root + "/enroll_request";
  std::filesystem::create_directories(enroll);
  auto request = makeEnrollRequest(*id, "Skolbolaget", {"12345678", "87654321"}, 1'700'000'000'000);
  std::string json = enrollRequestToJson(request);
  write(enroll, "request", Bytes(json.begin(), json.end()));
  return 0;
}
