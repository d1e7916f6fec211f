// Hostile input against a real broker process: every refused frame is counted by reason, and a
// well-behaved agent on the same broker keeps being served.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "common/clock.h"
#include "common/codec.h"
#include "common/identity.h"
#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

using common::Bytes;

class Hostile : public CityFixture {
 protected:
  // A raw CURVE client with the keys of `identity`.
  std::unique_ptr<zmq::socket_t> connect(const common::Identity& identity) {
    auto city = common::PublicIdentity::load(brokerDir() + "/city.pub");
    EXPECT_TRUE(city.ok());
    auto s = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(city->curvePublic.data(), 32));
    s->set(zmq::sockopt::curve_publickey, zmq::const_buffer(identity.curvePublic().data(), 32));
    s->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(identity.curveSecret(), 32));
    s->connect(endpoint());
    return s;
  }

  common::Message statusMessage(const common::Identity& id, uint64_t seq, const Bytes& prev,
                                const std::string& unit, int present) {
    common::Message m;
    m.senderId = id.id();
    m.keyId = id.keyId();
    m.seq = seq;
    m.prevHash = prev;
    // Now: a sentAt more than 30 days off is refused as clock_skew before anything else.
    m.sentAt = common::SystemClock().nowMs() + static_cast<int64_t>(seq);
    common::UnitStatusMsg s;
    s.unitCode = unit;
    s.operational = common::OperationalState::REDUCED;
    s.pupilsPresent = present;
    m.payload = s;
    return m;
  }

  // Sends `frame` and waits for one reply.
  std::optional<common::Downlink> exchange(zmq::socket_t& s, const Bytes& frame) {
    s.send(zmq::buffer(frame), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) return std::nullopt;
    zmq::message_t reply;
    if (!s.recv(reply)) return std::nullopt;
    auto d = common::decodeDownlink(static_cast<const uint8_t*>(reply.data()), reply.size());
    if (!d) return std::nullopt;
    return *d;
  }

  common::RejectReason rejectOf(const std::optional<common::Downlink>& d) {
    EXPECT_TRUE(d.has_value());
    if (!d) return common::RejectReason::INTERNAL;
    auto* r = std::get_if<common::RejectMsg>(&*d);
    EXPECT_NE(r, nullptr) << "expected a reject";
    return r ? r->reason : common::RejectReason::INTERNAL;
  }

  zmq::context_t ctx_;
};

TEST_F(Hostile, RefusesAndCountsEveryKindWhileAWellBehavedAgentIsServed) {
  std::string good = makeAgent("good", "556677-8899", {"12345678"});
  std::string evil = makeAgent("evil", "212000-0142", {"55555555"});
  startBroker();
  auto run = runAgent(good);
  auto evilId = common::Identity::load(tmp_.path() + "/evil/agent.identity");
  ASSERT_TRUE(evilId.ok()) << evilId.error().message;
  const common::Identity& e = **evilId;
  auto sock = connect(e);

  // A valid first frame from the hostile (but enrolled) provider is accepted.
  auto first = common::seal(e, statusMessage(e, 1, {}, "55555555", 10));
  auto ack = exchange(*sock, first.envelope);
  ASSERT_TRUE(ack && std::holds_alternative<common::AckMsg>(*ack));

  // Malformed: garbage bytes.
  EXPECT_EQ(rejectOf(exchange(*sock, Bytes(64, 0xAB))), common::RejectReason::MALFORMED);
  // Oversized: over 64 KiB.
  EXPECT_EQ(rejectOf(exchange(*sock, Bytes(100 * 1024, 0))), common::RejectReason::OVERSIZED);
  // Bad signature: a flipped byte in the signed body.
  auto second = common::seal(e, statusMessage(e, 2, first.bodyHash, "55555555", 11));
  Bytes forged = common::encodeEnvelope(
      [&] {
        Bytes b = second.body;
        b[b.size() - 9] ^= 0x01;
        return b;
      }(),
      common::signBody(e, second.body));
  EXPECT_EQ(rejectOf(exchange(*sock, forged)), common::RejectReason::BAD_SIGNATURE);
  // Unit of another provider, however good the signature.
  auto stolen = common::seal(e, statusMessage(e, 2, first.bodyHash, "12345678", 0));
  EXPECT_EQ(rejectOf(exchange(*sock, stolen.envelope)), common::RejectReason::UNIT_NOT_OWNED);
  // Claiming to be another provider.
  auto other = statusMessage(e, 2, first.bodyHash, "12345678", 0);
  other.senderId = "556677-8899";
  EXPECT_EQ(rejectOf(exchange(*sock, common::seal(e, other).envelope)),
            common::RejectReason::UNKNOWN_SENDER);
  // A directive is the city's to send.
  common::Message directive = statusMessage(e, 2, first.bodyHash, "55555555", 0);
  directive.payload =
      common::DirectiveMsg{"d-1", 1, "stäng", common::ReadinessLevel::HIGHEST, false, 0, {}};
  EXPECT_EQ(rejectOf(exchange(*sock, common::seal(e, directive).envelope)),
            common::RejectReason::FORBIDDEN);
  // Replay: a different body for seq 1, which is taken.
  auto replay = common::seal(e, statusMessage(e, 1, {}, "55555555", 99));
  EXPECT_EQ(rejectOf(exchange(*sock, replay.envelope)), common::RejectReason::REPLAY);
  // Out of order: seq 5 after 1.
  auto gap = common::seal(e, statusMessage(e, 5, first.bodyHash, "55555555", 5));
  EXPECT_EQ(rejectOf(exchange(*sock, gap.envelope)), common::RejectReason::OUT_OF_ORDER);
  // The exact first frame again is a duplicate: acknowledged, not stored twice.
  auto dup = exchange(*sock, first.envelope);
  ASSERT_TRUE(dup && std::holds_alternative<common::AckMsg>(*dup));
  EXPECT_TRUE(std::get<common::AckMsg>(*dup).duplicate);

  // An unenrolled key never gets through the handshake.
  auto stranger = common::Identity::generate("999999-9999");
  auto strangerSock = connect(*stranger);
  auto strangerFrame = common::seal(*stranger, statusMessage(*stranger, 1, {}, "55555555", 1));
  strangerSock->send(zmq::buffer(strangerFrame.envelope), zmq::send_flags::dontwait);

  // Meanwhile the well-behaved agent is served.
  report(good, "12345678", {"--operational", "closed", "--note", "Vattenläcka"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus("12345678")["operational"] == "closed"; }));

  ASSERT_TRUE(
      waitUntil([&] { return brokerStatus()["rejected"]["unknown_sender"].get<int64_t>() >= 2; }));
  auto rejected = brokerStatus()["rejected"];
  for (const char* reason : {"malformed", "oversized", "bad_signature", "unit_not_owned",
                             "forbidden", "replay", "out_of_order"}) {
    EXPECT_GE(rejected[reason].get<int64_t>(), 1) << reason;
  }
  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["frames"], 6);  // the hostile provider's one good frame, the good report and
                              // the city's enrolment and name records of both agents
}

}  // namespace
}  // namespace samband::testing
