// Personal data in free text (issue 10, §6), against real processes: `samband-agent report`
// refuses a note holding a personal identity number before signing anything, the broker refuses
// a raw signed frame holding one as `personal_data`, and notes holding an organisation or phone
// number still pass, for a well-behaved agent served by the same broker.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "common/clock.h"
#include "common/codec.h"
#include "common/identity.h"
#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

class PersonalData : public CityFixture {
 protected:
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

  std::optional<common::Downlink> exchange(zmq::socket_t& s, const common::Bytes& frame) {
    s.send(zmq::buffer(frame), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) return std::nullopt;
    zmq::message_t reply;
    if (!s.recv(reply)) return std::nullopt;
    auto d = common::decodeDownlink(static_cast<const uint8_t*>(reply.data()), reply.size());
    if (!d) return std::nullopt;
    return *d;
  }

  CommandResult agentReport(const std::string& config, std::vector<std::string> args) {
    args.insert(args.begin(), {agentBin(), "report"});
    args.push_back("--config");
    args.push_back(config);
    return runCommand(args);
  }

  zmq::context_t ctx_;
};

TEST_F(PersonalData, TheAgentCliRefusesANoteWithAPersonalIdentityNumberBeforeSigning) {
  std::string config = makeAgent("a", "556677-0001", {"10000001"});
  auto r = agentReport(config, {"--unit", "10000001", "--operational", "reduced", "--note",
                                "elev 19121212-1212 sjuk"});
  EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--note holds what looks like a personal identity number (19121212-1212); "
                       "reports carry counts and states only: remove it"),
            std::string::npos)
      << r.err;
  auto c = agentReport(
      config, {"--continuity", "at_risk", "--continuity-note", "rektor 121212+1212 sjukskriven"});
  EXPECT_EQ(c.exitCode, 2) << c.out << c.err;
  EXPECT_NE(c.err.find("personal identity number"), std::string::npos) << c.err;
  // A coordination number (day + 60) in the reason too.
  auto k = agentReport(
      config, {"--unit", "10000001", "--operational", "closed", "--reason", "701063-2391"});
  EXPECT_EQ(k.exitCode, 2) << k.out << k.err;
  EXPECT_EQ(agentStatus(config)["head_seq"], 0) << "nothing may have been signed";
}

TEST_F(PersonalData, TheBrokerRefusesASignedFrameWithOneWhileAWellBehavedAgentIsServed) {
  std::string good = makeAgent("good", "556677-8899", {"12345678"});
  std::string evil = makeAgent("evil", "212000-0142", {"55555555"});
  startBroker();
  auto run = runAgent(good);
  auto evilId = common::Identity::load(tmp_.path() + "/evil/agent.identity");
  ASSERT_TRUE(evilId.ok()) << evilId.error().message;
  const common::Identity& e = **evilId;
  auto sock = connect(e);

  common::Message m;
  m.senderId = e.id();
  m.keyId = e.keyId();
  m.seq = 1;
  m.sentAt = common::SystemClock().nowMs();
  common::UnitStatusMsg s;
  s.unitCode = "55555555";
  s.operational = common::OperationalState::REDUCED;
  s.note = "Eleven 191212121212 har smittats";
  m.payload = s;
  auto reply = exchange(*sock, common::seal(e, m).envelope);
  ASSERT_TRUE(reply.has_value());
  auto* reject = std::get_if<common::RejectMsg>(&*reply);
  ASSERT_NE(reject, nullptr);
  EXPECT_EQ(reject->reason, common::RejectReason::PERSONAL_DATA);
  EXPECT_NE(reject->detail.find("unit_status.note"), std::string::npos) << reject->detail;
  EXPECT_EQ(reject->detail.find("1212"), std::string::npos) << "the number is never repeated";
  // The same frame without the number is stored.
  s.note = "Elev smittad";
  m.payload = s;
  reply = exchange(*sock, common::seal(e, m).envelope);
  ASSERT_TRUE(reply && std::holds_alternative<common::AckMsg>(*reply));

  // Organisation and phone numbers are not personal data: the good agent's note passes.
  report(good, "12345678",
         {"--operational", "closed", "--note",
          "Ring 08-123 456 78 eller 070-123 45 67; "
          "huvudman 556677-8899"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus("12345678")["operational"] == "closed"; }));
  ASSERT_TRUE(
      waitUntil([&] { return brokerStatus()["rejected"]["personal_data"].get<int64_t>() >= 1; }));
}

}  // namespace
}  // namespace samband::testing
