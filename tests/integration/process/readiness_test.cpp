// Readiness checks and directives end to end, with a real broker and several real agents: who
// answered, who is missing or late, a person's confirmation, directives the agent must refuse
// (forged with another key, expired, replayed, addressed to others) and a level directive that
// changes how often the agent beats.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/codec.h"
#include "common/identity.h"
#include "common/ids.h"
#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

constexpr const char* kP1 = "556677-0001";
constexpr const char* kP2 = "556677-0002";
constexpr const char* kP3 = "556677-0003";

// CityFixture disables the scheduled check: every check here is issued by the test.
class Readiness : public CityFixture {
 protected:
  // An agent that passes every self-test: a duty contact, a fresh status report per unit, and a
  // disk limit any test machine meets.
  std::string makeReadyAgent(const std::string& name, const std::string& provider,
                             const std::string& unit) {
    std::string config = makeAgent(name, provider, {unit});
    setTomlKey(config, "agent", "duty_contact", "\"Jour 08-123 456\"");
    setTomlKey(config, "selftest", "disk_free_min_mb", "1");
    report(config, unit, {"--operational", "normal"});
    return config;
  }

  void waitConnected(const std::string& agentConfig) {
    ASSERT_TRUE(waitUntil([&] { return agentStatus(agentConfig)["connected"] == true; }))
        << agentConfig << " did not connect";
  }

  CommandResult broker(std::vector<std::string> args) {
    args.insert(args.begin(), brokerBin());
    args.push_back("--config");
    args.push_back(brokerConfig());
    return runCommand(args);
  }

  CommandResult agent(const std::string& agentConfig, std::vector<std::string> args) {
    args.insert(args.begin(), agentBin());
    args.push_back("--config");
    args.push_back(agentConfig);
    return runCommand(args);
  }

  // `readiness run` with `args`; returns the check id it printed.
  std::string runCheck(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"readiness", "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = broker(argv);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("readiness check (rc-[0-9a-f-]+)"))) {
      ADD_FAILURE() << "no check id in: " << r.out;
      return "";
    }
    return m[1];
  }

  nlohmann::json checkReport(const std::string& checkId, int* exitCode = nullptr) {
    auto r = broker({"readiness", "report", "--check", checkId, "--format", "json"});
    if (exitCode) *exitCode = r.exitCode;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  static nlohmann::json rowOf(const nlohmann::json& report, const std::string& provider) {
    if (report.is_discarded()) return nullptr;
    for (const auto& p : report["providers"]) {
      if (p["provider"] == provider) return p;
    }
    return nullptr;
  }

  std::string outcomeOf(const std::string& checkId, const std::string& provider) {
    auto row = rowOf(checkReport(checkId), provider);
    return row.is_object() ? row["outcome"].get<std::string>() : "";
  }

  nlohmann::json inbox(const std::string& agentConfig) {
    auto r = agent(agentConfig, {"inbox", "--json"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // The inbox entry with id `ref` (a verified one first), or null.
  nlohmann::json inboxEntry(const std::string& agentConfig, const std::string& ref) {
    nlohmann::json found;
    for (const auto& e : inbox(agentConfig)) {
      if (e["id"] != ref) continue;
      if (found.is_null() || (e["verified"] == true && found["verified"] == false)) found = e;
    }
    return found;
  }

  nlohmann::json directiveStatus(const std::string& id) {
    auto r = broker({"directive", "status", "--id", id, "--json"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::string sendDirective(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"directive", "send"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = broker(argv);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("directive (D-[0-9]+)"))) {
      ADD_FAILURE() << "no directive id in: " << r.out;
      return "";
    }
    return m[1];
  }

  std::unique_ptr<SQLite::Database> brokerDb() {
    return std::make_unique<SQLite::Database>(brokerDir() + "/samband.db", SQLite::OPEN_READWRITE,
                                              10000);
  }

  // What a compromised broker can do: put any bytes in a provider's outbound queue.
  void queueOutbound(const std::string& provider, const std::string& ref,
                     const common::Bytes& envelope) {
    auto db = brokerDb();
    SQLite::Statement q(*db,
                        "INSERT INTO outbound(provider_id, kind, ref, envelope, created_at) "
                        "VALUES(?, 'directive', ?, ?, ?)");
    q.bind(1, provider);
    q.bind(2, ref);
    q.bind(3, envelope.data(), static_cast<int>(envelope.size()));
    q.bind(4, common::SystemClock().nowMs());
    q.exec();
  }

  // Takes the queued envelope of `ref` for `provider` out of the broker's outbound queue.
  common::Bytes takeOutbound(const std::string& provider, const std::string& ref) {
    auto db = brokerDb();
    SQLite::Statement q(*db, "SELECT envelope FROM outbound WHERE provider_id=? AND ref=?");
    q.bind(1, provider);
    q.bind(2, ref);
    common::Bytes out;
    if (q.executeStep()) {
      auto c = q.getColumn(0);
      auto* p = static_cast<const uint8_t*>(c.getBlob());
      out.assign(p, p + c.getBytes());
    }
    SQLite::Statement d(*db, "DELETE FROM outbound WHERE provider_id=? AND ref=?");
    d.bind(1, provider);
    d.bind(2, ref);
    d.exec();
    return out;
  }

  // How often the broker's providers.last_seen of `provider` changed during `window`: with
  // nothing else to send, one change per heartbeat.
  int lastSeenChanges(const std::string& provider, std::chrono::milliseconds window) {
    auto db = brokerDb();
    SQLite::Statement q(*db, "SELECT coalesce(last_seen, 0) FROM providers WHERE id=?");
    std::set<int64_t> seen;
    int64_t first = -1;
    auto until = std::chrono::steady_clock::now() + window;
    while (std::chrono::steady_clock::now() < until) {
      q.reset();
      q.bind(1, provider);
      if (q.executeStep()) {
        int64_t v = q.getColumn(0).getInt64();
        if (first < 0) first = v;
        seen.insert(v);
      }
      // The sampling rate, not a synchronisation: real time passing is what this measures.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    seen.erase(first);
    return static_cast<int>(seen.size());
  }
};

bool everyTestPassed(const nlohmann::json& row) {
  if (!row.is_object() || !row["self_tests"].is_array() || row["self_tests"].size() != 8) {
    return false;
  }
  for (const auto& t : row["self_tests"]) {
    if (t["passed"] != true) return false;
  }
  return row["failed_self_tests"].empty();
}

TEST_F(Readiness, StoppedAgentIsMissingAndCountsLateWhenItAnswersAfterTheDeadline) {
  startBroker();
  std::string a = makeReadyAgent("a", kP1, "10000001");
  std::string b = makeReadyAgent("b", kP2, "10000002");
  std::string c = makeReadyAgent("c", kP3, "10000003");
  auto runA = runAgent(a);
  auto runB = runAgent(b);
  waitConnected(a);
  waitConnected(b);

  std::string id = runCheck({"--deadline", "8s"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(waitUntil(
      [&] { return outcomeOf(id, kP1) == "answered" && outcomeOf(id, kP2) == "answered"; }));
  int code = -1;
  auto report = checkReport(id, &code);
  EXPECT_EQ(code, 3) << report.dump(2);
  EXPECT_EQ(report["summary"]["missing"], 1);
  EXPECT_EQ(report["summary"]["answered"], 2);
  EXPECT_EQ(rowOf(report, kP3)["outcome"], "missing");
  EXPECT_TRUE(everyTestPassed(rowOf(report, kP1))) << rowOf(report, kP1).dump(2);
  EXPECT_TRUE(everyTestPassed(rowOf(report, kP2))) << rowOf(report, kP2).dump(2);
  std::set<std::string> names;
  const nlohmann::json rowP1 = rowOf(report, kP1);  // a named copy: a temporary would dangle
  for (const auto& t : rowP1["self_tests"]) names.insert(t["name"].get<std::string>());
  EXPECT_EQ(names,
            (std::set<std::string>{"broker_link", "clock_skew", "disk_free", "outbox_depth",
                                   "key_file_mode", "status_age", "duty_contact", "city_signal"}));

  // c starts after the deadline: it gets the check, answers it, and the answer counts as late.
  ASSERT_TRUE(waitUntil([&] { return checkReport(id)["deadline_passed"] == true; }));
  auto runC = runAgent(c);
  ASSERT_TRUE(waitUntil([&] { return outcomeOf(id, kP3) == "late"; }));
  report = checkReport(id, &code);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(report["summary"]["late"], 1);
  EXPECT_EQ(report["summary"]["missing"], 0);
  EXPECT_EQ(inboxEntry(c, id)["state"], "answered");
}

TEST_F(Readiness, RunWaitShowsProgressThenTheReportSayingWhyATestFailed) {
  startBroker();
  std::string a = makeReadyAgent("a", kP1, "10000001");
  std::string b = makeAgent("b", kP2, {"10000002"});     // no duty contact: duty_contact fails
  std::string c = makeReadyAgent("c", kP3, "10000003");  // never runs: missing
  auto runA = runAgent(a);
  auto runB = runAgent(b);
  waitConnected(a);
  waitConnected(b);

  auto r = broker({"readiness", "run", "--deadline", "6s", "--wait"});
  EXPECT_EQ(r.exitCode, 3) << r.out << r.err;
  // Progress while waiting: one line per change, the last before the deadline with both answers.
  std::regex progress("[0-3]/3 answered, [0-3] failed, [0-3] waiting \u2014 [0-9]+ s left");
  EXPECT_TRUE(std::regex_search(r.out, progress)) << r.out;
  EXPECT_NE(r.out.find("2/3 answered, 1 failed, 1 waiting"), std::string::npos) << r.out;
  // Then the report as before, now with the reason for each failed self-test.
  EXPECT_NE(r.out.find("Readiness check rc-"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string(kP2) + "  failed: duty_contact (not configured"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find(std::string(kP1) + "  failed:"), std::string::npos) << r.out;
}

TEST_F(Readiness, ConfirmationByAPersonIsRecordedEvenWhileTheAgentIsStopped) {
  startBroker();
  std::string a = makeReadyAgent("a", kP1, "10000001");
  std::string b = makeReadyAgent("b", kP2, "10000002");
  auto runA = runAgent(a);
  auto runB = runAgent(b);
  waitConnected(a);
  waitConnected(b);

  std::string id = runCheck({"--deadline", "5m", "--require-confirmation"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(waitUntil(
      [&] { return outcomeOf(id, kP1) == "answered" && outcomeOf(id, kP2) == "answered"; }));
  int code = -1;
  auto report = checkReport(id, &code);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(report["summary"]["unconfirmed"], 2);
  EXPECT_EQ(inboxEntry(a, id)["require_confirmation"], true);

  auto unknown = agent(a, {"confirm", "rc-2000-01-01-000000"});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("no readiness check"), std::string::npos) << unknown.err;

  auto confirmA = agent(a, {"confirm", id});
  EXPECT_EQ(confirmA.exitCode, 0) << confirmA.err;
  ASSERT_TRUE(waitUntil([&] { return rowOf(checkReport(id), kP1)["confirmed"] == true; }));
  EXPECT_EQ(rowOf(checkReport(id, &code), kP2)["confirmed"], false);
  EXPECT_EQ(code, 3);
  auto again = agent(a, {"confirm", id});
  EXPECT_EQ(again.exitCode, 0);
  EXPECT_NE(again.out.find("already confirmed"), std::string::npos) << again.out;
  EXPECT_EQ(inboxEntry(a, id)["state"], "confirmed");

  // b's person confirms while b's agent is stopped; it goes out when the agent runs again.
  runB->terminate();
  auto confirmB = agent(b, {"confirm", id});
  EXPECT_EQ(confirmB.exitCode, 0) << confirmB.err;
  EXPECT_NE(confirmB.out.find("not running"), std::string::npos) << confirmB.out;
  runB = runAgent(b);
  ASSERT_TRUE(waitUntil([&] { return rowOf(checkReport(id), kP2)["confirmed"] == true; }));
  report = checkReport(id, &code);
  EXPECT_EQ(code, 0) << report.dump(2);
  EXPECT_EQ(report["summary"]["all_good"], true);
  EXPECT_EQ(report["summary"]["unconfirmed"], 0);
}

TEST_F(Readiness, AgentRefusesForgedExpiredReplayedAndMisaddressedDirectivesAndSaysWhy) {
  startBroker();
  std::string a = makeReadyAgent("a", kP1, "10000001");
  makeReadyAgent("b", kP2, "10000002");

  // While a is stopped: one that expires before a connects, two in order, one only for b.
  std::string expired = sendDirective({"--to", "all", "--text", "Gammal", "--expires", "1s"});
  std::string older = sendDirective({"--to", "all", "--text", "Äldre instruktion"});
  std::string newer = sendDirective({"--to", "all", "--text", "Nyare instruktion"});
  std::string forB = sendDirective({"--to", kP2, "--text", "Bara för B"});
  ASSERT_EQ(expired, "D-000001");
  ASSERT_EQ(forB, "D-000004");
  // The broker holds `older` back from a (to replay it later) and relays b's directive to a.
  common::Bytes olderEnvelope = takeOutbound(kP1, older);
  ASSERT_FALSE(olderEnvelope.empty());
  common::Bytes forBEnvelope = takeOutbound(kP2, forB);
  ASSERT_FALSE(forBEnvelope.empty());
  queueOutbound(kP1, forB, forBEnvelope);
  // A directive signed by a key that is not the pinned city key.
  auto forger = common::Identity::generate(common::kCitySenderId);
  common::Message m;
  m.senderId = common::kCitySenderId;
  m.keyId = forger->keyId();
  m.seq = 1;
  m.sentAt = common::SystemClock().nowMs();
  common::DirectiveMsg forgedDirective;
  forgedDirective.directiveId = "D-000099";
  forgedDirective.number = 99;
  forgedDirective.text = "Utrym alla skolor";
  forgedDirective.level = common::ReadinessLevel::HIGHEST;
  forgedDirective.expiresAt = m.sentAt + 3600 * 1000;
  m.payload = forgedDirective;
  queueOutbound(kP1, "D-000099", common::seal(*forger, m).envelope);
  ASSERT_TRUE(waitUntil([&] { return directiveStatus(expired)["expired"] == true; }));

  auto runA = runAgent(a);
  ASSERT_TRUE(waitUntil([&] {
    for (const auto& ref : {expired, newer, forB, std::string("D-000099")}) {
      auto e = inboxEntry(a, ref);
      if (!e.is_object() || e["state"] == "new") return false;
    }
    return true;
  }));
  // Then the broker replays the older directive after the newer one was applied.
  queueOutbound(kP1, older, olderEnvelope);
  ASSERT_TRUE(waitUntil([&] { return inboxEntry(a, older).is_object(); }));

  auto e = inboxEntry(a, expired);
  EXPECT_EQ(e["state"], "refused");
  EXPECT_EQ(e["reason_code"], "expired") << e.dump(2);
  e = inboxEntry(a, "D-000099");
  EXPECT_EQ(e["state"], "refused");
  EXPECT_EQ(e["reason_code"], "forged") << e.dump(2);
  EXPECT_EQ(e["verified"], false);
  EXPECT_NE(e["reason"].get<std::string>().find("pinned city key"), std::string::npos);
  e = inboxEntry(a, forB);
  EXPECT_EQ(e["state"], "refused");
  EXPECT_EQ(e["reason_code"], "not_for_us") << e.dump(2);
  e = inboxEntry(a, older);
  EXPECT_EQ(e["state"], "refused");
  EXPECT_EQ(e["reason_code"], "replay") << e.dump(2);
  e = inboxEntry(a, newer);
  EXPECT_EQ(e["state"], "applied") << e.dump(2);
  EXPECT_EQ(e["text"], "Nyare instruktion");

  // `run` writes what `status` shows within a second of a change.
  nlohmann::json status;
  ASSERT_TRUE(waitUntil([&] {
    status = agentStatus(a);
    return status["last_error"].is_string();
  })) << status.dump(2);
  EXPECT_EQ(status["level"], "normal");  // the forged HIGHEST changed nothing
  EXPECT_NE(status["last_error"].get<std::string>().find("refused"), std::string::npos);

  auto ackForged = agent(a, {"ack", "D-000099"});
  EXPECT_EQ(ackForged.exitCode, 2);
  EXPECT_NE(ackForged.err.find("was refused"), std::string::npos) << ackForged.err;
  auto ackUnknown = agent(a, {"ack", "D-123456"});
  EXPECT_EQ(ackUnknown.exitCode, 2);
  EXPECT_NE(ackUnknown.err.find("no directive"), std::string::npos) << ackUnknown.err;

  // The city sees who got what: the applied one delivered, the refused ones not.
  ASSERT_TRUE(waitUntil([&] { return directiveStatus(newer)["delivered_to"].size() == 1; }));
  EXPECT_EQ(directiveStatus(newer)["delivered_to"][0], kP1);
  auto st = directiveStatus(expired);
  EXPECT_EQ(st["delivered_to"], nlohmann::json::array());
  EXPECT_TRUE(std::find(st["missing"].begin(), st["missing"].end(), kP1) != st["missing"].end())
      << st.dump(2);
}

TEST_F(Readiness, LevelDirectiveChangesTheHeartbeatIntervalAndDeliveryIsTracked) {
  startBroker();
  std::string a = makeReadyAgent("a", kP1, "10000001");
  std::string b = makeReadyAgent("b", kP2, "10000002");
  for (const auto& config : {a, b}) {
    setTomlKey(config, "timing", "heartbeat_interval_s", "3");
    setTomlKey(config, "timing", "heartbeat_heightened_s", "1");
  }
  auto runA = runAgent(a);
  auto runB = runAgent(b);
  waitConnected(a);
  waitConnected(b);
  ASSERT_TRUE(waitUntil([&] { return agentStatus(a)["outbox_pending"] == 0; }));
  runB->terminate();

  const int normalBeats = lastSeenChanges(kP1, std::chrono::seconds(7));
  EXPECT_LE(normalBeats, 3);

  std::string id = sendDirective({"--to", "all", "--text", "Höjd beredskap: rapportera oftare",
                                  "--level", "heightened", "--require-ack"});
  ASSERT_TRUE(waitUntil([&] { return agentStatus(a)["level"] == "heightened"; }));
  ASSERT_TRUE(waitUntil([&] { return directiveStatus(id)["delivered_to"].size() == 1; }));
  ASSERT_TRUE(waitUntil([&] { return agentStatus(a)["outbox_pending"] == 0; }));
  const int heightenedBeats = lastSeenChanges(kP1, std::chrono::seconds(7));
  EXPECT_GE(heightenedBeats, 5) << "normal: " << normalBeats;

  auto st = directiveStatus(id);
  EXPECT_EQ(st["delivered_to"], nlohmann::json::array({kP1}));
  EXPECT_EQ(st["missing"], nlohmann::json::array({kP2}));
  EXPECT_EQ(st["acknowledged_by"], nlohmann::json::array());

  auto ack = agent(a, {"ack", id});
  EXPECT_EQ(ack.exitCode, 0) << ack.err;
  ASSERT_TRUE(waitUntil([&] { return directiveStatus(id)["acknowledged_by"].size() == 1; }));
  st = directiveStatus(id);
  EXPECT_EQ(st["acknowledged_by"], nlohmann::json::array({kP1}));
  EXPECT_EQ(st["not_acknowledged"], nlohmann::json::array({kP2}));
  EXPECT_EQ(inboxEntry(a, id)["state"], "acknowledged");

  // b gets it when it comes back.
  runB = runAgent(b);
  ASSERT_TRUE(waitUntil([&] { return directiveStatus(id)["missing"].empty(); }));
  ASSERT_TRUE(waitUntil([&] { return agentStatus(b)["level"] == "heightened"; }));

  // An exercise directive is applied but never changes the real level.
  std::string drill = sendDirective({"--to", kP1, "--text", "Övning: högsta beredskap", "--level",
                                     "highest", "--mode", "exercise"});
  ASSERT_TRUE(waitUntil([&] { return inboxEntry(a, drill)["state"] == "applied"; }));
  EXPECT_EQ(inboxEntry(a, drill)["mode"], "exercise");
  EXPECT_EQ(agentStatus(a)["level"], "heightened");

  // The level survives a restart.
  runA->terminate();
  runA = runAgent(a);
  ASSERT_TRUE(waitUntil([&] {
    auto s = agentStatus(a);
    return s["running"] == true && s["connected"] == true;
  }));
  EXPECT_EQ(agentStatus(a)["level"], "heightened");
}

}  // namespace
}  // namespace samband::testing
