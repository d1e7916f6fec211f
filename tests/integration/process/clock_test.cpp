// A sender's clock against a real broker process (issue 10, §1): a raw CURVE client with an
// enrolled provider's keys stamps its frames days ahead or years off. The picture follows the
// sender's sequence, heartbeats stay fresh by their counter, sentAt beyond 30 days is refused as
// clock_skew (counted and logged), the broker shows each provider's clock offset, and a
// well-behaved agent on the same broker is served throughout.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/codec.h"
#include "common/identity.h"
#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

using common::Bytes;

constexpr int64_t kDayMs = 86'400'000;

// An enrolled provider speaking the protocol by hand: its own chain, its own heartbeat counter
// and whatever sentAt the test gives.
class RawAgent {
 public:
  RawAgent(zmq::context_t& ctx, const std::string& cityPub, const std::string& endpoint,
           const std::string& identityPath) {
    auto id = common::Identity::load(identityPath);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    identity_ = std::move(id).value();
    auto city = common::PublicIdentity::load(cityPub);
    EXPECT_TRUE(city.ok());
    socket_ = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(city->curvePublic.data(), 32));
    socket_->set(zmq::sockopt::curve_publickey,
                 zmq::const_buffer(identity_->curvePublic().data(), 32));
    socket_->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(identity_->curveSecret(), 32));
    socket_->connect(endpoint);
  }

  const std::string& id() const { return identity_->id(); }

  // Signs the next report of the chain stamped `sentAt`; the chain moves on only when acked.
  std::optional<common::Downlink> report(common::Payload payload, int64_t sentAt) {
    common::Message m = message(sentAt);
    m.seq = seq_ + 1;
    m.prevHash = prevHash_;
    m.payload = std::move(payload);
    common::SealedFrame f = common::seal(*identity_, m);
    auto reply = exchange(f.envelope);
    if (reply && std::holds_alternative<common::AckMsg>(*reply)) {
      seq_ = m.seq;
      prevHash_ = f.bodyHash;
    }
    return reply;
  }

  std::optional<common::Downlink> heartbeat(int64_t sentAt) {
    common::Message m = message(sentAt);
    m.payload = common::HeartbeatMsg{seq_, 0, common::ReadinessLevel::NORMAL, ++counter_};
    return exchange(common::seal(*identity_, m).envelope);
  }

  // City messages that arrived so far (behind heartbeat replies, or pushed).
  size_t cityMessages() const { return cityMessages_; }

 private:
  common::Message message(int64_t sentAt) const {
    common::Message m;
    m.senderId = identity_->id();
    m.keyId = identity_->keyId();
    m.sentAt = sentAt;
    return m;
  }

  // Sends `frame` and returns the first reply that is not a city message.
  std::optional<common::Downlink> exchange(const Bytes& frame) {
    socket_->send(zmq::buffer(frame), zmq::send_flags::none);
    for (;;) {
      zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) return std::nullopt;
      zmq::message_t reply;
      if (!socket_->recv(reply)) return std::nullopt;
      auto d = common::decodeDownlink(static_cast<const uint8_t*>(reply.data()), reply.size());
      if (!d) return std::nullopt;
      if (std::holds_alternative<common::CityEnvelopeMsg>(*d)) {
        ++cityMessages_;
        continue;
      }
      return *d;
    }
  }

  std::unique_ptr<common::Identity> identity_;
  std::unique_ptr<zmq::socket_t> socket_;
  uint64_t seq_ = 0;
  Bytes prevHash_;
  uint64_t counter_ = 0;
  size_t cityMessages_ = 0;
};

class SenderClock : public CityFixture {
 protected:
  void SetUp() override {
    CityFixture::SetUp();
    good_ = makeAgent("good", "556677-8899", {"12345678"});
    makeAgent("skewed", "212000-0142", {"55555555"});
    startBroker();
    goodRun_ = runAgent(good_);
    raw_ = std::make_unique<RawAgent>(ctx_, brokerDir() + "/city.pub", endpoint(),
                                      tmp_.path() + "/skewed/agent.identity");
  }

  static int64_t now() { return common::SystemClock().nowMs(); }

  static common::UnitStatusMsg status(int present) {
    common::UnitStatusMsg s;
    s.unitCode = "55555555";
    s.operational = common::OperationalState::REDUCED;
    s.pupilsPresent = present;
    return s;
  }

  static bool isAck(const std::optional<common::Downlink>& d) {
    return d && std::holds_alternative<common::AckMsg>(*d);
  }
  static bool isHead(const std::optional<common::Downlink>& d) {
    return d && std::holds_alternative<common::HeadMsg>(*d);
  }

  nlohmann::json provider(const std::string& id) {
    const nlohmann::json status = brokerStatus();
    if (status.is_discarded()) return nullptr;
    for (const auto& p : status["providers"]) {
      if (p["id"] == id) return p;
    }
    return nullptr;
  }

  // The well-behaved agent's report reaches the picture.
  void expectGoodAgentServed(const std::string& operational) {
    report(good_, "12345678", {"--operational", operational});
    EXPECT_TRUE(waitUntil([&] { return unitStatus("12345678")["operational"] == operational; }))
        << "the well-behaved agent was not served";
  }

  std::string brokerLog() {
    std::ifstream in(tmp_.path() + "/broker.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  zmq::context_t ctx_;
  std::string good_;
  std::unique_ptr<Process> goodRun_;
  std::unique_ptr<RawAgent> raw_;
};

TEST_F(SenderClock, AReportStampedDaysAheadDoesNotFreezeTheUnit) {
  ASSERT_TRUE(isAck(raw_->report(status(10), now() + 3 * kDayMs)));
  ASSERT_TRUE(waitUntil([&] { return unitStatus("55555555")["pupils_present"] == 10; }));
  // Correctly stamped reports after it: the picture follows the sequence.
  ASSERT_TRUE(isAck(raw_->report(status(20), now())));
  EXPECT_EQ(unitStatus("55555555")["pupils_present"], 20);
  ASSERT_TRUE(isAck(raw_->report(status(30), now())));
  EXPECT_EQ(unitStatus("55555555")["pupils_present"], 30);
  expectGoodAgentServed("closed");
}

TEST_F(SenderClock, AHeartbeatStampedDaysAheadDoesNotSilenceTheProvider) {
  ASSERT_TRUE(isHead(raw_->heartbeat(now() + 3 * kDayMs)));
  auto p = provider(raw_->id());
  ASSERT_TRUE(p["clock_offset_s"].is_number()) << p.dump();
  EXPECT_NEAR(p["clock_offset_s"].get<double>(), 3 * 86'400.0, 10.0);
  const auto seenAhead = p["last_seen"];

  // Correct heartbeats after it are fresh (answered with the head, not refused as replays) and
  // keep moving last_seen; the measured offset follows the newest.
  ASSERT_TRUE(waitUntil([&] {
    EXPECT_TRUE(isHead(raw_->heartbeat(now()))) << "a correct heartbeat was refused";
    return provider(raw_->id())["last_seen"] != seenAhead;
  }));
  p = provider(raw_->id());
  EXPECT_EQ(p["liveness"], "online");
  EXPECT_LT(std::abs(p["clock_offset_s"].get<double>()), 10.0) << p.dump();
  EXPECT_EQ(brokerStatus()["rejected"]["replay"], 0);

  // City messages keep flowing to it behind its heartbeats.
  auto d = runCommand({brokerBin(), "directive", "send", "--config", brokerConfig(), "--to",
                       raw_->id(), "--text", "Rapportera läget före kl. 10"});
  ASSERT_EQ(d.exitCode, 0) << d.out << d.err;
  EXPECT_TRUE(waitUntil([&] {
    EXPECT_TRUE(isHead(raw_->heartbeat(now())));
    return raw_->cityMessages() >= 1;
  }));
  expectGoodAgentServed("remote");
  EXPECT_EQ(provider("556677-8899")["liveness"], "online");
}

TEST_F(SenderClock, SentAtBeyondThirtyDaysIsRefusedAsClockSkewCountedAndLogged) {
  for (int64_t sentAt : {int64_t{253'402'300'799'000} /* 9999-12-31 */, now() - 40 * kDayMs}) {
    auto reply = raw_->report(status(1), sentAt);
    ASSERT_TRUE(reply && std::holds_alternative<common::RejectMsg>(*reply));
    const auto& reject = std::get<common::RejectMsg>(*reply);
    EXPECT_EQ(reject.reason, common::RejectReason::CLOCK_SKEW);
    EXPECT_EQ(reject.seq, 1u);
    EXPECT_NE(reject.detail.find("fix the sender's time synchronisation"), std::string::npos)
        << reject.detail;
  }
  EXPECT_TRUE(isHead(raw_->heartbeat(now())));  // its heartbeats are not refused meanwhile
  EXPECT_EQ(brokerStatus()["rejected"]["clock_skew"], 2);
  EXPECT_EQ(unitStatus("55555555")["operational"], "unknown") << "nothing refused reached it";
  // One line for the pair, naming reason and provider only (the rest are counted).
  ASSERT_TRUE(waitUntil([&] {
    return brokerLog().find("refused 1 frame from provider " + raw_->id() + ": clock_skew") !=
           std::string::npos;
  })) << brokerLog();
  // Within 30 days is accepted as before.
  EXPECT_TRUE(isAck(raw_->report(status(2), now() - 29 * kDayMs)));
  expectGoodAgentServed("closed");
}

}  // namespace
}  // namespace samband::testing
