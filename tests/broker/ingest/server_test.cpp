// End-to-end tests of the broker's Server in this process: real CURVE DEALER sockets on
// 127.0.0.1 against the ROUTER and ZAP handler, real keys, a real SQLite file. Every hostile
// input of the gate table is refused with its reason and counted in the database while a
// well-behaved agent on the same broker keeps getting acks. Waits are deadlines, never sleeps.
// Over 500 lines on purpose: one fixture (a live server with CURVE clients) walked through every
// row of the gate table.
#include "broker/ingest/server.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "broker/metrics/metrics.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/ids.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::broker {
namespace {

using common::Bytes;
using common::RejectReason;
using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;
constexpr const char* kGoodUnit = "10000001";
constexpr const char* kHostileUnit = "20000001";
constexpr const char* kThirdUnit = "30000001";

using samband::testing::TempDir;

// For effects that have no reply to wait on (a refused handshake, a counter).
using samband::testing::waitUntil;

// An agent's transport: a DEALER socket authenticated with `transport`'s CURVE key.
class AgentSocket {
 public:
  // Connects at once unless `deferConnect` (then call connect(), e.g. after attaching a monitor).
  AgentSocket(zmq::context_t& context, const std::string& endpoint,
              const common::PublicKey& cityCurve, const common::Identity& transport,
              bool deferConnect = false)
      : socket_(context, zmq::socket_type::dealer), endpoint_(endpoint) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(cityCurve.data(), 32));
    socket_.set(zmq::sockopt::curve_publickey,
                zmq::const_buffer(transport.curvePublic().data(), 32));
    socket_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(transport.curveSecret(), 32));
    if (!deferConnect) connect();
  }

  void connect() { socket_.connect(endpoint_); }

  zmq::socket_t& socket() { return socket_; }

  void send(const Bytes& frame) { socket_.send(zmq::buffer(frame), zmq::send_flags::none); }
  void sendParts(const std::vector<Bytes>& parts) {
    for (size_t i = 0; i < parts.size(); ++i) {
      socket_.send(zmq::buffer(parts[i]),
                   i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // The next downlink, or nothing when none arrives within `timeout`.
  std::optional<common::Downlink> receive(std::chrono::milliseconds timeout = kDeadline) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, timeout);
    if (!(items[0].revents & ZMQ_POLLIN)) return std::nullopt;
    zmq::message_t m;
    if (!socket_.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
    EXPECT_FALSE(m.more()) << "a downlink is one part";
    auto d = common::decodeDownlink(static_cast<const uint8_t*>(m.data()), m.size());
    if (!d) {
      ADD_FAILURE() << "downlink does not decode: " << d.error().message;
      return std::nullopt;
    }
    return *d;
  }

  // Sends `frame` and returns the reply, failing the test when none comes before the deadline.
  common::Downlink exchange(const Bytes& frame) {
    send(frame);
    auto reply = receive();
    if (!reply) {
      ADD_FAILURE() << "no reply within the deadline";
      return common::RejectMsg{0, RejectReason::INTERNAL, 0, {}, "no reply"};
    }
    return *reply;
  }

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
};

// One sender's chain as an agent keeps it.
class AgentChain {
 public:
  explicit AgentChain(const common::Identity& id) : id_(id) {}

  common::Message draft(common::Payload payload) const {
    common::Message m;
    m.senderId = id_.id();
    m.keyId = id_.keyId();
    m.seq = seq_ + 1;
    m.prevHash = prevHash_;
    m.sentAt = clock_.nowMs();
    m.payload = std::move(payload);
    return m;
  }
  common::SealedFrame next(common::Payload payload) {
    common::SealedFrame f = common::seal(id_, draft(std::move(payload)));
    seq_++;
    prevHash_ = f.bodyHash;
    return f;
  }
  // Heartbeats must be strictly newer than the last one: never reuse a sentAt.
  common::SealedFrame heartbeat() {
    common::Message m;
    m.senderId = id_.id();
    m.keyId = id_.keyId();
    lastHeartbeat_ = std::max(lastHeartbeat_ + 1, clock_.nowMs());
    m.sentAt = lastHeartbeat_;
    m.payload = common::HeartbeatMsg{seq_, 0, common::ReadinessLevel::NORMAL};
    return common::seal(id_, m);
  }
  uint64_t seq() const { return seq_; }

 private:
  const common::Identity& id_;
  common::SystemClock clock_;
  uint64_t seq_ = 0;
  Bytes prevHash_;
  int64_t lastHeartbeat_ = 0;
};

common::UnitStatusMsg serverStatus(const std::string& unit) {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::NORMAL;
  s.pupilsPresent = 250;
  s.staffAvailable = 30;
  return s;
}

void expectServerAck(const common::Downlink& d, uint64_t seq, bool duplicate = false) {
  auto* a = std::get_if<common::AckMsg>(&d);
  ASSERT_NE(a, nullptr) << "not an ack; downlink kind " << d.index()
                        << (std::holds_alternative<common::RejectMsg>(d)
                                ? ", reject: " + std::get<common::RejectMsg>(d).detail
                                : std::string());
  EXPECT_EQ(a->seq, seq);
  EXPECT_EQ(a->duplicate, duplicate);
}

common::RejectMsg serverRejectOf(const common::Downlink& d) {
  if (auto* r = std::get_if<common::RejectMsg>(&d)) return *r;
  ADD_FAILURE() << "not a reject; downlink kind " << d.index();
  return {};
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dbPath(), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    enroll(*good_, {kGoodUnit});
    enroll(*hostile_, {kHostileUnit});
    enroll(*third_, {kThirdUnit});
    startServer();
  }

  std::string dbPath() const { return dir_.file("samband.db"); }

  void enroll(const common::Identity& id, const std::vector<std::string>& units) {
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(id, "Huvudman " + id.id(), units, clock_.nowMs()), false,
        clock_.nowMs());
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  void startServer(int verifyThreads = 1,
                   const std::function<void(ServerOptions&)>& adjust = nullptr) {
    ServerOptions options;
    options.listen = "tcp://127.0.0.1:*";
    options.databasePath = dbPath();
    options.rosterRefreshMs = 50;
    options.verifyThreads = verifyThreads;
    if (adjust) adjust(options);
    server_ = std::make_unique<Server>(options, *city_, clock_, metrics_);
    common::Status started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    ASSERT_NE(server_->endpoint().find("tcp://127.0.0.1:"), std::string::npos);
  }

  std::unique_ptr<AgentSocket> connect(const common::Identity& transport,
                                       bool deferConnect = false) {
    return std::make_unique<AgentSocket>(context_, server_->endpoint(), city_->curvePublic(),
                                         transport, deferConnect);
  }

  // Watches the handshakes of `agent` (created with deferConnect), connects it, runs `trigger` and
  // returns the first outcome (ZMQ_EVENT_HANDSHAKE_SUCCEEDED or ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
  // or nothing before the deadline.
  std::optional<uint16_t> handshakeOutcome(AgentSocket& agent,
                                           const std::function<void()>& trigger) {
    const std::string endpoint = "inproc://handshake-monitor-" + std::to_string(monitors_++);
    EXPECT_EQ(zmq_socket_monitor(agent.socket().handle(), endpoint.c_str(),
                                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
              0);
    zmq::socket_t monitor(context_, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(endpoint);
    agent.connect();
    trigger();
    std::optional<uint16_t> event;
    zmq::pollitem_t items[] = {{monitor.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(kDeadline));
    if (items[0].revents & ZMQ_POLLIN) {
      zmq::message_t head;
      zmq::message_t address;
      if (monitor.recv(head) && monitor.recv(address) && head.size() >= 2) {
        uint16_t e = 0;
        std::memcpy(&e, head.data(), sizeof e);
        event = e;
      }
    }
    zmq_socket_monitor(agent.socket().handle(), nullptr, 0);
    return event;
  }

  // The persistent refusal counter for `reason`, read with a connection of our own.
  int64_t rejections(const std::string& reason) {
    SQLite::Database db(dbPath(), SQLite::OPEN_READONLY);
    return db
        .execAndGet("SELECT coalesce((SELECT count FROM rejections WHERE reason='" + reason +
                    "'), 0)")
        .getInt64();
  }
  int64_t scalar(const std::string& sql) {
    SQLite::Database db(dbPath(), SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
  }

  TempDir dir_;
  common::SystemClock clock_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> city_ = common::Identity::generate(common::kCitySenderId);
  std::unique_ptr<common::Identity> good_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> hostile_ = common::Identity::generate("556677-0002");
  std::unique_ptr<common::Identity> third_ = common::Identity::generate("556677-0003");
  zmq::context_t context_{1};
  int monitors_ = 0;
  std::unique_ptr<Server> server_;
  AgentChain goodChain_{*good_};
  AgentChain hostileChain_{*hostile_};
};

TEST_F(ServerTest, AcksGoodReportAfterStoringIt) {
  auto agent = connect(*good_);
  common::SealedFrame f = goodChain_.next(serverStatus(kGoodUnit));
  expectServerAck(agent->exchange(f.envelope), 1);

  // The ack came after the commit: another connection sees the frame and the picture.
  SQLite::Database db(dbPath(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT sender, seq, envelope FROM frames");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), good_->id());
  EXPECT_EQ(q.getColumn(1).getInt64(), 1);
  auto* p = static_cast<const uint8_t*>(q.getColumn(2).getBlob());
  EXPECT_EQ(Bytes(p, p + q.getColumn(2).getBytes()), f.envelope);
  EXPECT_FALSE(q.executeStep());
  EXPECT_EQ(db.execAndGet("SELECT pupils_present FROM unit_status WHERE code='10000001' AND "
                          "mode='actual'")
                .getInt(),
            250);
}

TEST_F(ServerTest, CountsEveryOpenAgentConnectionAndEachHandshake) {
  auto first = connect(*good_);
  auto second = connect(*third_);
  // Both sessions are live: each gets its report acknowledged.
  expectServerAck(first->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
  AgentChain thirdChain(*third_);
  expectServerAck(second->exchange(thirdChain.next(serverStatus(kThirdUnit)).envelope), 1);
  ASSERT_TRUE(waitUntil([&] { return metrics_.connectedAgents.load() == 2; }, kDeadline))
      << "gauge " << metrics_.connectedAgents.load();
  EXPECT_EQ(metrics_.handshakes.load(), 2u);
  second.reset();  // closes the connection
  EXPECT_TRUE(waitUntil([&] { return metrics_.connectedAgents.load() == 1; }, kDeadline))
      << "gauge " << metrics_.connectedAgents.load();
}

TEST_F(ServerTest, AnswersHeartbeatWithChainHead) {
  auto agent = connect(*good_);
  common::SealedFrame f = goodChain_.next(serverStatus(kGoodUnit));
  expectServerAck(agent->exchange(f.envelope), 1);
  int64_t before = clock_.nowMs();
  common::Downlink reply = agent->exchange(goodChain_.heartbeat().envelope);
  auto* head = std::get_if<common::HeadMsg>(&reply);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->headSeq, 1u);
  EXPECT_EQ(head->headHash, f.bodyHash);
  EXPECT_GE(head->serverTime, before);
  EXPECT_LE(head->serverTime, clock_.nowMs());
}

TEST_F(ServerTest, RefusesEveryHostileInputWhileWellBehavedAgentKeepsGettingAcks) {
  auto good = connect(*good_);
  auto hostile = connect(*hostile_);
  auto goodKeepsGoing = [&] {
    SCOPED_TRACE("well-behaved agent");
    Bytes next = goodChain_.next(serverStatus(kGoodUnit)).envelope;
    expectServerAck(good->exchange(next), goodChain_.seq());
  };
  goodKeepsGoing();

  // 1. oversized: over 64 KiB, under the 1 MiB transport limit.
  common::RejectMsg r = serverRejectOf(hostile->exchange(Bytes(100 * 1024, 0x42)));
  EXPECT_EQ(r.reason, RejectReason::OVERSIZED);
  EXPECT_EQ(r.seq, 0u);
  goodKeepsGoing();

  // 2. malformed: garbage, and a message of two parts.
  EXPECT_EQ(serverRejectOf(hostile->exchange(Bytes(80, 0xee))).reason, RejectReason::MALFORMED);
  goodKeepsGoing();
  Bytes valid = common::seal(*hostile_, hostileChain_.draft(serverStatus(kHostileUnit))).envelope;
  hostile->sendParts({valid, valid});
  auto multipart = hostile->receive();
  ASSERT_TRUE(multipart.has_value());
  EXPECT_EQ(serverRejectOf(*multipart).reason, RejectReason::MALFORMED);
  goodKeepsGoing();

  // 3. unknown_sender: the session is enrolled, the signing key is not.
  auto stranger = common::Identity::generate(hostile_->id());
  AgentChain strangerChain(*stranger);
  r = serverRejectOf(hostile->exchange(strangerChain.next(serverStatus(kHostileUnit)).envelope));
  EXPECT_EQ(r.reason, RejectReason::UNKNOWN_SENDER);
  EXPECT_EQ(r.seq, 1u);
  goodKeepsGoing();

  // 4. bad_signature: one flipped bit in the signature.
  auto parts = common::decodeEnvelope(valid);
  ASSERT_TRUE(parts.ok());
  parts->signature[31] ^= 0x04;
  EXPECT_EQ(serverRejectOf(hostile->exchange(common::encodeEnvelope(parts->body, parts->signature)))
                .reason,
            RejectReason::BAD_SIGNATURE);
  goodKeepsGoing();

  // 5. key_mismatch: a frame validly signed by another provider's key over this session.
  AgentChain thirdChain(*third_);
  EXPECT_EQ(
      serverRejectOf(hostile->exchange(thirdChain.next(serverStatus(kThirdUnit)).envelope)).reason,
      RejectReason::KEY_MISMATCH);
  goodKeepsGoing();

  // 7. forbidden: an agent sending a directive.
  common::DirectiveMsg directive;
  directive.directiveId = "fake-1";
  directive.number = 1;
  directive.text = "Alla skolor stänger";
  AgentChain forbiddenChain(*hostile_);
  EXPECT_EQ(serverRejectOf(hostile->exchange(forbiddenChain.next(directive).envelope)).reason,
            RejectReason::FORBIDDEN);
  goodKeepsGoing();

  // 8. unit_not_owned: a report on the well-behaved agent's unit.
  AgentChain grabChain(*hostile_);
  EXPECT_EQ(
      serverRejectOf(hostile->exchange(grabChain.next(serverStatus(kGoodUnit)).envelope)).reason,
      RejectReason::UNIT_NOT_OWNED);
  goodKeepsGoing();

  // 9. replay: seq 1 is stored, then a different body claims seq 1.
  common::SealedFrame first = hostileChain_.next(serverStatus(kHostileUnit));
  expectServerAck(hostile->exchange(first.envelope), 1);
  common::UnitStatusMsg changed = serverStatus(kHostileUnit);
  changed.operational = common::OperationalState::CLOSED;
  AgentChain fork(*hostile_);
  r = serverRejectOf(hostile->exchange(fork.next(changed).envelope));
  EXPECT_EQ(r.reason, RejectReason::REPLAY);
  EXPECT_EQ(r.headSeq, 1u);
  EXPECT_EQ(r.headHash, first.bodyHash);
  goodKeepsGoing();

  // 10. out_of_order: seq 3 after head 1.
  common::Message gap = hostileChain_.draft(serverStatus(kHostileUnit));
  gap.seq = 3;
  r = serverRejectOf(hostile->exchange(common::seal(*hostile_, gap).envelope));
  EXPECT_EQ(r.reason, RejectReason::OUT_OF_ORDER);
  EXPECT_EQ(r.headSeq, 1u);
  goodKeepsGoing();

  // Each refusal was counted, persistently; only the good frames and the hostile seq 1 stored.
  EXPECT_EQ(rejections("oversized"), 1);
  EXPECT_EQ(rejections("malformed"), 2);
  EXPECT_EQ(rejections("unknown_sender"), 1);
  EXPECT_EQ(rejections("bad_signature"), 1);
  EXPECT_EQ(rejections("key_mismatch"), 1);
  EXPECT_EQ(rejections("forbidden"), 1);
  EXPECT_EQ(rejections("unit_not_owned"), 1);
  EXPECT_EQ(rejections("replay"), 1);
  EXPECT_EQ(rejections("out_of_order"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames WHERE sender='" + good_->id() + "'"),
            static_cast<int64_t>(goodChain_.seq()));
  EXPECT_EQ(scalar("SELECT count(*) FROM frames WHERE sender<>'" + good_->id() + "'"), 1);
}

TEST_F(ServerTest, RefusesFramesOfRevokedKeyOnOpenSession) {
  auto good = connect(*good_);
  auto hostile = connect(*hostile_);
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(
      hostile->exchange(hostileChain_.heartbeat().envelope)));

  // Revoked by the operator's CLI (another connection) while the session stays open; the running
  // broker learns it at its next roster refresh.
  ASSERT_TRUE(
      RosterStore(*store_).revokeKey(common::toHex(hostile_->keyId()), clock_.nowMs()).ok());
  common::RejectMsg refused{};
  bool revoked = waitUntil(
      [&] {
        common::Downlink d = hostile->exchange(hostileChain_.heartbeat().envelope);
        if (auto* r = std::get_if<common::RejectMsg>(&d)) {
          refused = *r;
          return true;
        }
        return false;
      },
      kDeadline);
  ASSERT_TRUE(revoked) << "the revocation never reached the broker";
  EXPECT_EQ(refused.reason, RejectReason::REVOKED);
  EXPECT_EQ(
      serverRejectOf(hostile->exchange(hostileChain_.next(serverStatus(kHostileUnit)).envelope))
          .reason,
      RejectReason::REVOKED);
  expectServerAck(good->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
  EXPECT_EQ(rejections("revoked"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames WHERE sender='" + hostile_->id() + "'"), 0);

  // The broker knows the revocation now (it refused a frame for it): a new session with the
  // revoked transport key is refused at the handshake and counted as unknown_sender.
  const int64_t unknownBefore = rejections("unknown_sender");
  auto again = connect(*hostile_, /*deferConnect=*/true);
  auto outcome = handshakeOutcome(*again, [&] { again->send(hostileChain_.heartbeat().envelope); });
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(*outcome, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  EXPECT_TRUE(waitUntil([&] { return rejections("unknown_sender") > unknownBefore; }, kDeadline));
}

TEST_F(ServerTest, UnenrolledCurveKeyNeverCompletesHandshakeAndIsCountedAsUnknownSender) {
  auto stranger = common::Identity::generate("556677-0009");
  auto intruder = connect(*stranger, /*deferConnect=*/true);
  AgentChain strangerChain(*stranger);
  // The client learns that authentication failed; it never sees a successful handshake.
  auto outcome = handshakeOutcome(
      *intruder, [&] { intruder->send(strangerChain.next(serverStatus(kGoodUnit)).envelope); });
  ASSERT_TRUE(outcome.has_value()) << "no handshake event within the deadline";
  EXPECT_EQ(*outcome, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);

  EXPECT_TRUE(waitUntil([&] { return rejections("unknown_sender") >= 1; }, kDeadline));
  EXPECT_FALSE(intruder->receive(200ms).has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 0);

  auto good = connect(*good_);
  expectServerAck(good->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
}

// A reconnect wave: many agents connect at once, so their ZAP requests queue up and the ZAP
// thread answers them in one go. Each must get its own answer: every enrolled agent is admitted
// and acknowledged, and an unenrolled key among them is still refused at the handshake.
TEST_F(ServerTest, AWaveOfAgentsConnectingAtOnceIsAdmittedAndAStrangerInItRefused) {
  constexpr int kWave = 40;
  std::vector<std::unique_ptr<common::Identity>> ids;
  std::vector<std::string> units;
  for (int i = 0; i < kWave; ++i) {
    char provider[16];
    char unit[16];
    std::snprintf(provider, sizeof provider, "556677-1%03d", i);
    std::snprintf(unit, sizeof unit, "4000%04d", i);
    ids.push_back(common::Identity::generate(provider));
    units.emplace_back(unit);
    enroll(*ids.back(), {units.back()});
  }
  server_.reset();  // the new keys are in the roster from the start
  startServer();

  std::vector<std::unique_ptr<AgentChain>> chains;
  std::vector<std::unique_ptr<AgentSocket>> wave;
  for (int i = 0; i < kWave; ++i) {
    chains.push_back(std::make_unique<AgentChain>(*ids[static_cast<size_t>(i)]));
    wave.push_back(connect(*ids[static_cast<size_t>(i)], /*deferConnect=*/true));
  }
  auto stranger = common::Identity::generate("556677-0009");
  AgentChain strangerChain(*stranger);
  auto intruder = connect(*stranger, /*deferConnect=*/true);
  auto outcome = handshakeOutcome(*intruder, [&] {
    for (size_t i = 0; i < wave.size(); ++i) {
      wave[i]->connect();
      wave[i]->send(chains[i]->next(serverStatus(units[i])).envelope);
    }
    intruder->send(strangerChain.next(serverStatus(kGoodUnit)).envelope);
  });
  ASSERT_TRUE(outcome.has_value()) << "no handshake event within the deadline";
  EXPECT_EQ(*outcome, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  for (size_t i = 0; i < wave.size(); ++i) {
    auto reply = wave[i]->receive();
    ASSERT_TRUE(reply.has_value()) << "agent " << i << " of the wave got no ack";
    expectServerAck(*reply, 1);
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), kWave);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames WHERE sender='" + stranger->id() + "'"), 0);
  EXPECT_TRUE(waitUntil([&] { return rejections("unknown_sender") >= 1; }, kDeadline));
  EXPECT_TRUE(waitUntil([&] { return metrics_.handshakes.load() == static_cast<uint64_t>(kWave); },
                        kDeadline))
      << "handshakes counted: " << metrics_.handshakes.load();
}

// Above ServerOptions::maxQueuedFrames the socket thread refuses a frame as OVERLOADED instead
// of queueing it. The test stalls the committer on the database's write lock, and sends on one
// connection three multipart messages (each refused as malformed by the socket thread itself,
// in order, into the commit queue) and then a frame: whether or not the socket thread reads
// them in one burst, at least two refusals wait ahead of the frame when it is judged.
TEST_F(ServerTest, RefusesFramesAsOverloadedAboveTheQueueLimitAndServesThemOnceItDrains) {
  server_.reset();
  startServer(1, [](ServerOptions& o) {
    o.maxQueuedFrames = 1;  // refuse a frame while two or more items wait
    o.batchMax = 1;         // the stalled committer holds at most one item
  });
  auto good = connect(*good_);
  expectServerAck(good->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);

  // Our own write transaction: the committer's next BEGIN IMMEDIATE waits on it (5 s busy
  // timeout, far longer than this test holds it).
  SQLite::Database blocker(dbPath(), SQLite::OPEN_READWRITE);
  blocker.exec("BEGIN IMMEDIATE");
  for (int i = 0; i < 3; ++i) good->sendParts({Bytes{1}, Bytes{2}});
  common::SealedFrame held = goodChain_.next(serverStatus(kGoodUnit));
  good->send(held.envelope);
  // The lock may go only once the socket thread has judged the frame. Its next observable
  // step: a new session's handshake, which it counts. That session starts after the frame was
  // written on an open connection (one I/O thread on each side, in order), and needs a full
  // CURVE handshake; the socket thread reads the ROUTER before the monitor in each turn.
  const uint64_t handshakesBefore = metrics_.handshakes.load();
  auto probe = connect(*third_);
  ASSERT_TRUE(waitUntil([&] { return metrics_.handshakes.load() > handshakesBefore; }, kDeadline))
      << "the socket thread never saw the probe's handshake";
  blocker.exec("ROLLBACK");

  for (int i = 0; i < 3; ++i) {
    auto malformed = good->receive();
    ASSERT_TRUE(malformed.has_value()) << "no reply to multipart message " << i;
    EXPECT_EQ(serverRejectOf(*malformed).reason, RejectReason::MALFORMED);
  }
  auto refused = good->receive();
  ASSERT_TRUE(refused.has_value()) << "no reply to the frame sent while the queue was full";
  EXPECT_EQ(serverRejectOf(*refused).reason, RejectReason::OVERLOADED);
  EXPECT_EQ(rejections("overloaded"), 1);
  EXPECT_EQ(metrics_.rejected[static_cast<size_t>(RejectReason::OVERLOADED)].load(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 1);

  // Once the queue has drained, the agent's resend of the same frame is stored and acked.
  expectServerAck(good->exchange(held.envelope), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 2);
}

TEST_F(ServerTest, RefusesMultipartMessageAsMalformed) {
  auto agent = connect(*good_);
  common::SealedFrame f = goodChain_.next(serverStatus(kGoodUnit));
  agent->sendParts({f.envelope, Bytes{}});
  auto reply = agent->receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(serverRejectOf(*reply).reason, RejectReason::MALFORMED);
  EXPECT_EQ(rejections("malformed"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 0);
  // The same frame sent properly is stored: nothing of the refused message was kept.
  expectServerAck(agent->exchange(f.envelope), 1);
}

TEST_F(ServerTest, CountsFrameBetween64KiBAnd1MiBAsOversized) {
  auto agent = connect(*good_);
  common::RejectMsg r = serverRejectOf(agent->exchange(Bytes(common::kMaxFrameBytes + 8, 0x00)));
  EXPECT_EQ(r.reason, RejectReason::OVERSIZED);
  r = serverRejectOf(agent->exchange(Bytes(1000 * 1024, 0x00)));
  EXPECT_EQ(r.reason, RejectReason::OVERSIZED);
  EXPECT_EQ(rejections("oversized"), 2);
  expectServerAck(agent->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
}

TEST_F(ServerTest, FrameOverTransportLimitDropsOnlyThatConnection) {
  auto good = connect(*good_);
  auto hostile = connect(*hostile_);
  expectServerAck(good->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
  hostile->send(Bytes(2 * 1024 * 1024, 0x00));
  expectServerAck(good->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 2);
  // The hostile DEALER reconnects by itself; once it has, it is served again.
  bool served = waitUntil(
      [&] {
        hostile->send(hostileChain_.heartbeat().envelope);
        return hostile->receive(100ms).has_value();
      },
      kDeadline);
  EXPECT_TRUE(served);
}

TEST_F(ServerTest, VerifyingOnSocketThreadGivesSameAnswers) {
  server_->stop();
  startServer(/*verifyThreads=*/0);
  auto agent = connect(*good_);
  expectServerAck(agent->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
  AgentChain grab(*good_);
  EXPECT_EQ(serverRejectOf(agent->exchange(grab.next(serverStatus(kHostileUnit)).envelope)).reason,
            RejectReason::UNIT_NOT_OWNED);
  EXPECT_EQ(serverRejectOf(agent->exchange(Bytes(80, 0xee))).reason, RejectReason::MALFORMED);
}

TEST_F(ServerTest, PipelinedFramesOfSeveralAgentsAreAllAckedInOrder) {
  server_->stop();
  startServer(/*verifyThreads=*/2);
  constexpr uint64_t kFrames = 200;
  struct Sender {
    const common::Identity* id;
    const char* unit;
    std::unique_ptr<AgentSocket> socket;
    std::unique_ptr<AgentChain> chain;
  };
  std::vector<Sender> senders;
  senders.push_back(
      {good_.get(), kGoodUnit, connect(*good_), std::make_unique<AgentChain>(*good_)});
  senders.push_back(
      {hostile_.get(), kHostileUnit, connect(*hostile_), std::make_unique<AgentChain>(*hostile_)});
  senders.push_back(
      {third_.get(), kThirdUnit, connect(*third_), std::make_unique<AgentChain>(*third_)});
  // Every agent sends its whole window without waiting, as the agent's link does.
  for (uint64_t i = 0; i < kFrames; ++i) {
    for (auto& s : senders) s.socket->send(s.chain->next(serverStatus(s.unit)).envelope);
  }
  // Acks are cumulative (one per connection per committed batch): each names a higher seq than
  // the one before, and the last names the last frame.
  for (auto& s : senders) {
    SCOPED_TRACE(s.id->id());
    uint64_t acked = 0;
    while (acked < kFrames) {
      auto reply = s.socket->receive();
      ASSERT_TRUE(reply.has_value()) << "no ack after seq " << acked;
      auto* a = std::get_if<common::AckMsg>(&*reply);
      ASSERT_NE(a, nullptr) << "not an ack; downlink kind " << reply->index();
      EXPECT_FALSE(a->duplicate);
      ASSERT_GT(a->seq, acked);
      ASSERT_LE(a->seq, kFrames);
      acked = a->seq;
    }
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), static_cast<int64_t>(3 * kFrames));
  EXPECT_EQ(scalar("SELECT coalesce(sum(count), 0) FROM rejections"), 0);
}

TEST_F(ServerTest, SecondServerOnTakenAddressFailsToStartNamingTheAddress) {
  ServerOptions options;
  options.listen = server_->endpoint();
  options.databasePath = dbPath();
  Metrics metrics;
  {
    Server second(options, *city_, clock_, metrics);
    common::Status started = second.start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find(options.listen), std::string::npos)
        << started.error().message;
  }  // and is destroyed without hanging
  auto agent = connect(*good_);
  expectServerAck(agent->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 1);
}

TEST_F(ServerTest, ChainContinuesAfterRestartOnSameDatabase) {
  auto agent = connect(*good_);
  common::SealedFrame f1 = goodChain_.next(serverStatus(kGoodUnit));
  common::SealedFrame f2 = goodChain_.next(serverStatus(kGoodUnit));
  expectServerAck(agent->exchange(f1.envelope), 1);
  expectServerAck(agent->exchange(f2.envelope), 2);
  common::SealedFrame hb = goodChain_.heartbeat();
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(agent->exchange(hb.envelope)));

  server_->stop();
  server_->stop();  // idempotent
  agent.reset();
  startServer();
  agent = connect(*good_);

  expectServerAck(agent->exchange(f1.envelope), 1, true);
  expectServerAck(agent->exchange(f2.envelope), 2, true);
  expectServerAck(agent->exchange(goodChain_.next(serverStatus(kGoodUnit)).envelope), 3);
  EXPECT_EQ(serverRejectOf(agent->exchange(hb.envelope)).reason, RejectReason::REPLAY);
  common::Downlink head = agent->exchange(goodChain_.heartbeat().envelope);
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(head));
  EXPECT_EQ(std::get<common::HeadMsg>(head).headSeq, 3u);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 3);
}

}  // namespace
}  // namespace samband::broker
