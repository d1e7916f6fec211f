// `status --as-of` against the live `status --json` of a real broker (issue 13): a simulated day
// of reports, a readiness check, a level directive and its acknowledgement, continuity and
// exercise traffic goes through real agents; after each step the live picture is recorded with
// its time; afterwards the picture is asked for each of those moments and must be the same.
//
// Compared modulo what the archive cannot know (docs/inquiry.md, "What the past picture
// leaves out"): each provider's liveness, last_seen and clock_offset_s come from heartbeats,
// which are not archived, and the refusal counters are counted, not archived. Everything else
// must be equal, key for key, ages included (they are counted to the moment asked for).
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "broker/city/readiness_schedule.h"
#include "broker/picture/moment.h"
#include "tests/integration/process/city_fixture.h"
#include "tests/support/temp_dir.h"

namespace samband::testing {
namespace {

constexpr const char* kA = "556677-8899";
constexpr const char* kB = "556000-0001";
constexpr const char* kC = "556000-0002";

class AsOf : public CityFixture {
 protected:
  // Snapshots every few frames, so most moments are rebuilt from one (the rest replay from the
  // first frame): both paths are compared with the live picture.
  void SetUp() override {
    CityFixture::SetUp();
    setTomlKey(brokerConfig(), "picture", "snapshot_every_frames", "4");
  }

  int64_t snapshots() {
    SQLite::Database db(brokerDir() + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT count(*) FROM picture_snapshots").getInt64();
  }

  CommandResult broker(std::vector<std::string> args) {
    args.insert(args.begin(), brokerBin());
    args.push_back("--config");
    args.push_back(brokerConfig());
    return runCommand(args);
  }

  // The live picture once no frame is arriving: two looks that agree on the archive's size,
  // the first of which is returned (its generated_at is the moment to ask for later).
  nlohmann::json stablePicture() {
    for (int i = 0; i < 50; ++i) {
      auto first = brokerStatus();
      auto second = brokerStatus();
      if (first.is_object() && second.is_object() && first["frames"] == second["frames"]) {
        return first;
      }
    }
    ADD_FAILURE() << "the archive never stopped growing";
    return nullptr;
  }

  void drained(const std::vector<std::string>& agents) {
    for (const auto& a : agents) {
      ASSERT_TRUE(waitUntil([&] { return agentStatus(a)["outbox_pending"] == 0; })) << a;
    }
  }

  // `picture` without what only heartbeats and refusals tell (see the file comment).
  static nlohmann::json archivable(nlohmann::json picture) {
    for (auto& p : picture["providers"]) {
      p.erase("liveness");
      p.erase("last_seen");
      p.erase("clock_offset_s");
    }
    picture.erase("rejected");
    return picture;
  }

  static std::string firstDifference(const nlohmann::json& want, const nlohmann::json& got) {
    auto patch = nlohmann::json::diff(want, got);
    return patch.empty() ? "" : patch.dump(2).substr(0, 3000);
  }
};

// The Python that has PyNaCl (Debian: python3-nacl), or "" when none has.

TEST_F(AsOf, EveryRecordedLivePictureIsRebuiltFromTheArchive) {
  startBroker();
  const std::string a = makeAgent("a", kA, {"11111111", "11111112"});
  const std::string b = makeAgent("b", kB, {"22222221"});
  const std::string c = makeAgent("c", kC, {"33333331"});
  auto runA = runAgent(a);
  auto runB = runAgent(b);
  auto runC = runAgent(c);
  std::vector<nlohmann::json> recorded;

  // Morning: everyone reports normal operation.
  report(a, "11111111",
         {"--operational", "normal", "--pupils-enrolled", "310", "--pupils-present", "295",
          "--staff-total", "40", "--staff-available", "38"});
  report(a, "11111112", {"--operational", "normal", "--pupils-present", "120"});
  report(
      b, "22222221",
      {"--operational", "normal", "--pupils-present", "80", "--capacity", "grundskola:4:52:3:6"});
  report(c, "33333331", {"--operational", "normal", "--staff-available", "12"});
  drained({a, b, c});
  recorded.push_back(stablePicture());

  // The storm: reduced operation, a closure, free seats change.
  report(
      a, "11111111",
      {"--operational", "reduced", "--reason", "Strömavbrott i området", "--electricity", "backup",
       "--backup-hours", "18", "--heating", "degraded", "--capacity", "grundskola:5:60:0:2"});
  report(b, "22222221",
         {"--operational", "closed", "--reason", "Vattenläcka", "--expected-reopen", "2031-02-25",
          "--water", "down", "--note", "Elever hänvisas till fjärrundervisning"});
  drained({a, b});
  recorded.push_back(stablePicture());

  // The daily readiness check, answered by every agent on its own.
  auto check = broker({"readiness", "run", "--deadline", "30m"});
  ASSERT_EQ(check.exitCode, 0) << check.out << check.err;
  ASSERT_TRUE(waitUntil([&] {
    auto p = brokerStatus();
    return p.is_object() && p["open_checks"].size() == 1 &&
           p["open_checks"][0]["answered"].size() == 3;
  }));
  drained({a, b, c});
  recorded.push_back(stablePicture());

  // The city raises its level; one provider acknowledges.
  auto sent =
      broker({"directive", "send", "--to", "all", "--text",
              "Höjd beredskap: rapportera varje timme", "--level", "heightened", "--require-ack"});
  ASSERT_EQ(sent.exitCode, 0) << sent.out << sent.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(sent.out, m, std::regex("directive (D-[0-9]+)"))) << sent.out;
  const std::string directive = m[1];
  ASSERT_TRUE(waitUntil([&] {
    auto p = brokerStatus();
    return p.is_object() && p["open_directives"].size() == 1 &&
           p["open_directives"][0]["delivered"] == 3;
  }));
  auto ack = runCommand({agentBin(), "ack", directive, "--config", a});
  ASSERT_EQ(ack.exitCode, 0) << ack.err;
  ASSERT_TRUE(waitUntil([&] {
    auto p = brokerStatus();
    return p.is_object() && p["open_directives"][0]["acknowledged"] == 1;
  }));
  drained({a, b, c});
  recorded.push_back(stablePicture());

  // Afternoon: a provider at risk, an exercise report (never in the real picture), a move to
  // remote teaching.
  report(c, "33333331", {"--continuity", "at_risk", "--continuity-note", "Personalbrist"});
  report(b, "22222221", {"--mode", "exercise", "--operational", "relocated"});
  report(a, "11111112", {"--operational", "remote", "--reason", "Värmen borta"});
  drained({a, b, c});
  recorded.push_back(stablePicture());
  runB->terminate();
  report(a, "11111111", {"--operational", "normal", "--clear-reason"});
  drained({a});

  const int64_t frames = recorded.back()["frames"];
  ASSERT_TRUE(waitUntil([&] { return snapshots() >= frames / 4; }, std::chrono::seconds(20)))
      << snapshots() << " snapshots for " << frames << " frames";

  ASSERT_EQ(recorded.size(), 5u);
  EXPECT_EQ(recorded[3]["level"], "heightened");
  EXPECT_EQ(recorded[1]["level"], "normal");
  EXPECT_EQ(recorded[2]["open_checks"].size(), 1u);
  EXPECT_EQ(recorded[4]["other_modes"].size(), 1u);
  // Each step changed the picture, so a rebuild at the wrong moment cannot pass.
  for (size_t i = 1; i < recorded.size(); ++i) {
    auto before = archivable(recorded[i - 1]), after = archivable(recorded[i]);
    before.erase("generated_at");
    after.erase("generated_at");
    EXPECT_NE(before, after) << "step " << i << " changed nothing";
  }
  for (const auto& live : recorded) {
    const std::string at = live["generated_at"];
    auto r = broker({"status", "--json", "--as-of", at});
    ASSERT_EQ(r.exitCode, 0) << at << ": " << r.err;
    auto past = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(past.is_object()) << r.out;
    EXPECT_EQ(past["as_of"], at);
    past.erase("as_of");
    for (const auto& reason : past["rejected"]) EXPECT_TRUE(reason.is_null());
    // What heartbeats add, the archive cannot have seen later than live did.
    for (size_t i = 0; i < live["providers"].size(); ++i) {
      const auto& lp = live["providers"][i];
      const auto& pp = past["providers"][i];
      ASSERT_EQ(lp["id"], pp["id"]);
      if (!pp["last_seen"].is_null()) {
        EXPECT_LE(pp["last_seen"].get<std::string>(), lp["last_seen"].get<std::string>());
      }
      EXPECT_TRUE(pp["clock_offset_s"].is_null());
    }
    const auto want = archivable(live);
    const auto got = archivable(past);
    EXPECT_EQ(want, got) << "at " << at << ", live -> as-of:\n" << firstDifference(want, got);
  }

  // The same moment written as a local time without an offset.
  broker::applyTimeZone("Europe/Stockholm");
  auto moment = broker::parseMoment(recorded[2]["generated_at"], "--as-of");
  ASSERT_TRUE(moment.ok());
  const std::string local = broker::formatLocalMoment(*moment).substr(0, 23);
  auto r = broker({"status", "--json", "--as-of", local});
  if (r.err.find("twice") == std::string::npos) {  // the repeated autumn hour needs an offset
    ASSERT_EQ(r.exitCode, 0) << local << ": " << r.err;
    auto past = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_EQ(archivable(past).dump(), [&] {
      auto p = archivable(recorded[2]);
      p["as_of"] = recorded[2]["generated_at"];
      return p.dump();
    }()) << local;
  }

  // The day as an inquiry export, from the CLI: it verifies with the broker's verifier and
  // with the stand-alone script; a flipped byte is reported by both.
  const std::string out = tmp_.path() + "/inquiry";
  auto exported = broker({"inquiry", "export", "--from", recorded[0]["generated_at"], "--to",
                          recorded[4]["generated_at"], "--out", out});
  ASSERT_EQ(exported.exitCode, 0) << exported.out << exported.err;
  auto verified = runCommand({brokerBin(), "inquiry", "verify", out, "--json"});
  EXPECT_EQ(verified.exitCode, 0) << verified.out;
  auto meta = nlohmann::json::parse(readWhole(out + "/inquiry.json"), nullptr, false);
  ASSERT_TRUE(meta.is_object());
  // The export's last picture is the live one at that moment, modulo heartbeats.
  auto last = nlohmann::json::parse(
      readWhole(out + "/" + meta["pictures"].back()["json"].get<std::string>()));
  last.erase("as_of");
  EXPECT_EQ(archivable(last), archivable(recorded[4]));
  const std::string py = pythonWithNacl();
  if (!py.empty()) {
    auto script = runCommand({py, out + "/verify.py", out});
    EXPECT_EQ(script.exitCode, 0) << script.out << script.err;
  }
  {
    const std::string file = out + "/" + meta["frame_files"].back().get<std::string>();
    std::string text = readWhole(file);
    const size_t at = text.find("\"note\":\"");
    ASSERT_NE(at, std::string::npos);
    text[at + 2] = 'N';  // "Note": the JSON no longer says what the signed bytes say
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    auto tampered = runCommand({brokerBin(), "inquiry", "verify", out});
    EXPECT_EQ(tampered.exitCode, 1) << tampered.out;
    EXPECT_NE(tampered.out.find("differs from its signed bytes in body"), std::string::npos)
        << tampered.out;
    if (!py.empty()) {
      auto script = runCommand({py, out + "/verify.py", out});
      EXPECT_EQ(script.exitCode, 1) << script.out << script.err;
      EXPECT_NE(script.out.find("differs from its signed bytes in body"), std::string::npos)
          << script.out;
    }
  }

  // The text rendering says it is history.
  auto text = broker({"status", "--as-of", recorded[3]["generated_at"]});
  EXPECT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("AS OF"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("heightened"), std::string::npos) << text.out;
}

TEST_F(AsOf, RefusesMomentsOutsideTheArchive) {
  startBroker();
  const std::string a = makeAgent("a", kA, {"11111111"});
  auto before = broker({"status", "--as-of", "2001-01-01T08:00"});
  EXPECT_EQ(before.exitCode, 2);
  EXPECT_NE(before.err.find("the archive starts at"), std::string::npos) << before.err;
  auto future = broker({"status", "--as-of", "2999-01-01T08:00:00Z"});
  EXPECT_EQ(future.exitCode, 2);
  EXPECT_NE(future.err.find("in the future"), std::string::npos) << future.err;
  auto garbage = broker({"status", "--as-of", "yesterday"});
  EXPECT_EQ(garbage.exitCode, 2);
  EXPECT_NE(garbage.err.find("--as-of 'yesterday'"), std::string::npos) << garbage.err;
}

}  // namespace
}  // namespace samband::testing
