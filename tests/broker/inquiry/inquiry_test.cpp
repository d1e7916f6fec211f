// The inquiry export against an archive written as the broker writes it, over several hours:
// the export verifies; a flipped byte, a removed frame, a removed middle hour, a rewritten
// manifest and a changed received time are each reported, by `inquiry verify` and (when
// python3-nacl is installed) by the verify.py the export carries.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "broker/city/readiness_schedule.h"
#include "broker/inquiry/inquiry_export.h"
#include "broker/inquiry/inquiry_verify.h"
#include "broker/inquiry/manifest.h"
#include "broker/picture/as_of.h"
#include "broker/picture/moment.h"
#include "broker/picture/snapshotter.h"
#include "common/clock.h"
#include "common/config.h"
#include "tests/broker/picture/archive_builder.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace samband::broker::inquiry {
namespace {

using common::OperationalState;
using nlohmann::json;
using testing::ArchiveBuilder;

constexpr int64_t kInquiryStart = 1'803'826'800'000;  // 2027-02-28, 16:00 in Stockholm

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

bool mentions(const VerifyReport& r, const std::string& a, const std::string& b = "") {
  for (const auto& p : r.problems) {
    if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
  }
  return false;
}

std::string problems(const VerifyReport& r) {
  std::string out;
  for (const auto& p : r.problems) out += "  " + p + "\n";
  return out;
}

// The Python that has PyNaCl, or "" (the Debian package is python3-nacl).
std::string pythonWithNacl() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    auto r = samband::testing::runCommand({py, "-c", "import nacl.signing"});
    if (r.exitCode == 0) return py;
  }
  return "";
}

class InquiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    applyTimeZone("Europe/Stockholm");
    b_ = std::make_unique<ArchiveBuilder>(dir_.path() + "/samband.db", kInquiryStart);
    ArchiveBuilder& b = *b_;
    b.enrol("556677-8899", {"11111111", "11111112"});
    b.enrol("556000-0001", {"22222221"});
    b.enrol("556000-0002", {"33333331"});
    // Five hours, a round of reports every 20 minutes.
    for (int round = 0; round < 15; ++round) {
      b.advance(20 * 60'000);
      b.report("556677-8899",
               ArchiveBuilder::status(
                   "11111111", round < 7 ? OperationalState::NORMAL : OperationalState::REDUCED,
                   280 - round));
      b.report("556000-0001",
               ArchiveBuilder::status(
                   "22222221", round == 9 ? OperationalState::CLOSED : OperationalState::NORMAL,
                   80 + round));
      b.commit();
      b.advance(60'000);
      if (round % 3 == 0) {
        b.report("556000-0002", ArchiveBuilder::status("33333331", OperationalState::NORMAL, 50));
        common::CapacityMsg c{"33333331", {{common::SchoolForm::GRUNDSKOLA, 4, 50, round, round}}};
        b.report("556000-0002", c);
        b.commit();
      }
      if (round == 5) {
        common::DirectiveMsg d{
            "D-000001",           1, "Höjd beredskap", common::ReadinessLevel::HEIGHTENED, true,
            b.now() + 86'400'000, {}};
        b.city(d);
        b.advance(2'000);
        b.report("556677-8899",
                 common::DirectiveAckMsg{"D-000001", common::AckKind::DELIVERED, {}});
        b.commit();
      }
      if (round == 7) {
        // Issue 15: the city's records of unit metadata (a unit only the roster names, of a
        // provider not enrolled), a duty contact, a name and a board account (never its hash).
        using common::RosterInfoKind;
        b.city(
            common::RosterInfoMsg{
                RosterInfoKind::UNIT_INFO,
                "556000-0003",
                {},
                {{"44444441", "Tallens förskola", "Farsta", 59.24, 18.09, "forskola:1;forskola:2"},
                 {"44444442", "Utan läge", "", std::nullopt, std::nullopt, ""}}},
            common::Mode::SYSTEM);
        b.city(
            common::RosterInfoMsg{
                RosterInfoKind::DUTY_CONTACT, "556677-8899", "IT-jour 08-123 456 78", {}},
            common::Mode::SYSTEM);
        b.city(
            common::RosterInfoMsg{
                RosterInfoKind::PROVIDER_NAME, "556000-0001", "Skolbolaget AB", {}},
            common::Mode::SYSTEM);
        b.city(
            common::AccountMsg{
                common::AccountAction::SET, "anna", "viewer", {"Farsta"}, common::Bytes(32, 0xab)},
            common::Mode::SYSTEM);
      }
      if (round == 8) {
        b.report("556000-0001",
                 common::DirectiveAckMsg{"D-000001", common::AckKind::ACKNOWLEDGED, {}});
        b.report("556000-0002",
                 common::ContinuityMsg{common::ContinuityState::AT_RISK, 0, "Brist"});
        b.commit();
      }
    }
    common::FakeClock clock(kInquiryStart);
    ASSERT_TRUE(catchUpSnapshots(b.store(), 10, clock).ok());
  }

  // Exports from 2 h 10 min to 4 h 20 min after the start: before-frames, three full hours.
  std::string exportTo(const std::string& name) {
    ExportOptions o;
    o.fromMs = kInquiryStart + 130 * 60'000;
    o.toMs = kInquiryStart + 260 * 60'000;
    o.outDir = dir_.path() + "/" + name;
    auto done = exportInquiry(b_->store(), b_->city(), o, b_->now() + 1000);
    EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error().message);
    if (done.ok()) summary_ = *done;
    return o.outDir;
  }

  // The period's frame files, in order.
  std::vector<std::string> hourFiles(const std::string& dir) {
    auto meta = json::parse(readAll(dir + "/inquiry.json"));
    std::vector<std::string> out;
    for (const auto& f : meta["frame_files"]) {
      if (f != kBeforeFile) out.push_back(f);
    }
    return out;
  }

  // verify.py's exit status on `dir` (-2: python3-nacl is not installed, which fails the test
  // when SAMBAND_REQUIRE_PYNACL is set, as the inquiry_verify_py test sets it).
  int python(const std::string& dir, std::string* output = nullptr) {
    static const std::string py = pythonWithNacl();
    if (py.empty()) {
      if (std::getenv("SAMBAND_REQUIRE_PYNACL") != nullptr) {
        ADD_FAILURE() << "verify.py required, but no python3 with PyNaCl";
      }
      return -2;
    }
    auto r =
        samband::testing::runCommand({py, dir + "/verify.py", dir}, "", std::chrono::seconds(120));
    if (output) *output = r.out + r.err;
    return r.exitCode;
  }

  samband::testing::TempDir dir_;
  std::unique_ptr<ArchiveBuilder> b_;
  ExportSummary summary_;
};

TEST_F(InquiryTest, AnExportVerifiesAndItsPicturesAreThePastPictures) {
  const std::string dir = exportTo("x");
  EXPECT_GT(summary_.framesBefore, 0);
  EXPECT_GT(summary_.framesInPeriod, 10);
  EXPECT_EQ(summary_.pictures, 2 + 2) << "start, 11:00, 12:00, end";
  EXPECT_EQ(summary_.uncoveredFrames, 0);
  EXPECT_GE(hourFiles(dir).size(), 3u);
  auto report = verifyInquiry(dir);
  EXPECT_TRUE(report.intact()) << problems(report);
  EXPECT_EQ(report.pictures, 4);
  EXPECT_GT(report.signaturesChecked, summary_.framesInPeriod);
  // Each picture is what `status --as-of` gives at that moment.
  auto meta = json::parse(readAll(dir + "/inquiry.json"));
  for (const auto& p : meta["pictures"]) {
    auto at = parseMoment(p["at"], "at");
    ASSERT_TRUE(at.ok());
    auto past = pictureAsOf(b_->store(), *at, b_->now() + 1000);
    ASSERT_TRUE(past.ok());
    auto picture = currentPicture((*past)->store(), LivenessRules{}, *at, {}, &(*past)->moment());
    ASSERT_TRUE(picture.ok());
    EXPECT_EQ(readAll(dir + "/" + p["json"].get<std::string>()), picture->dump(2) + "\n");
  }
  // The start picture rests on frames from before the period: the level and the directive.
  auto first = json::parse(readAll(dir + "/" + meta["pictures"][0]["json"].get<std::string>()));
  EXPECT_EQ(first["level"], "heightened");
  EXPECT_EQ(first["open_directives"].size(), 1u);
  EXPECT_NE(readAll(dir + "/README.md").find("## Svenska"), std::string::npos);
  std::string out;
  const int py = python(dir, &out);
  if (py == -2) GTEST_SKIP() << "python3-nacl is not installed: verify.py not run";
  EXPECT_EQ(py, 0) << out;
}

// Two moments in one second (an export of a period shorter than a second): two picture files,
// not the end's picture written over the start's under the same name.
TEST_F(InquiryTest, AnExportShorterThanASecondKeepsBothPictures) {
  ExportOptions o;
  o.fromMs = (kInquiryStart + 200 * 60'000) / 1000 * 1000 + 100;
  o.toMs = o.fromMs + 700;
  o.outDir = dir_.path() + "/short";
  auto done = exportInquiry(b_->store(), b_->city(), o, b_->now() + 1000);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done->pictures, 2);
  auto meta = json::parse(readAll(o.outDir + "/inquiry.json"));
  ASSERT_EQ(meta["pictures"].size(), 2u);
  EXPECT_NE(meta["pictures"][0]["json"], meta["pictures"][1]["json"]);
  auto report = verifyInquiry(o.outDir);
  EXPECT_TRUE(report.intact()) << problems(report);
}

TEST_F(InquiryTest, AFlippedByteIsReported) {
  const std::string dir = exportTo("x");
  const std::string file = hourFiles(dir)[1];
  std::string text = readAll(dir + "/" + file);
  // A byte inside the first envelope's base64 (well past its start).
  const size_t at = text.find("\"envelope\":\"") + 12 + 40;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  writeAll(dir + "/" + file, text);
  auto report = verifyInquiry(dir);
  EXPECT_FALSE(report.intact());
  EXPECT_TRUE(mentions(report, file, "changed")) << problems(report);
  EXPECT_TRUE(mentions(report, file + " line 1")) << problems(report);
  std::string out;
  const int py = python(dir, &out);
  if (py == -2) GTEST_SKIP() << "python3-nacl is not installed: verify.py not run";
  EXPECT_EQ(py, 1) << out;
  EXPECT_NE(out.find(file), std::string::npos) << out;
}

TEST_F(InquiryTest, ARemovedFrameIsReported) {
  const std::string dir = exportTo("x");
  const std::string file = hourFiles(dir)[1];
  std::string text = readAll(dir + "/" + file);
  const size_t second = text.find('\n') + 1;
  text.erase(second, text.find('\n', second) + 1 - second);
  writeAll(dir + "/" + file, text);
  auto report = verifyInquiry(dir);
  EXPECT_TRUE(mentions(report, file, "changed")) << problems(report);
  EXPECT_TRUE(mentions(report, "frame(s) missing") || mentions(report, "checkpoint"))
      << problems(report);
  std::string out;
  const int py = python(dir, &out);
  if (py == -2) GTEST_SKIP() << "python3-nacl is not installed: verify.py not run";
  EXPECT_EQ(py, 1) << out;
  EXPECT_NE(out.find("missing"), std::string::npos) << out;
}

TEST_F(InquiryTest, ARemovedMiddleHourIsReported) {
  const std::string dir = exportTo("x");
  auto files = hourFiles(dir);
  ASSERT_GE(files.size(), 3u);
  const std::string middle = files[files.size() / 2];
  std::filesystem::remove(dir + "/" + middle);
  auto report = verifyInquiry(dir);
  EXPECT_TRUE(mentions(report, middle, "missing")) << problems(report);
  EXPECT_TRUE(mentions(report, "frame(s) missing")) << problems(report);
  EXPECT_TRUE(mentions(report, "is not the picture")) << problems(report);
  std::string out;
  const int py = python(dir, &out);
  if (py == -2) GTEST_SKIP() << "python3-nacl is not installed: verify.py not run";
  EXPECT_EQ(py, 1) << out;
  EXPECT_NE(out.find(middle), std::string::npos) << out;
}

TEST_F(InquiryTest, AManifestRewrittenToMatchIsReportedByItsSignature) {
  const std::string dir = exportTo("x");
  auto meta = json::parse(readAll(dir + "/inquiry.json"));
  const std::string picture = meta["pictures"][1]["csv"];
  std::string text = readAll(dir + "/" + picture);
  const size_t at = text.find(",normal,");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 8, ",closed,");
  writeAll(dir + "/" + picture, text);
  auto manifest = makeManifest(dir);
  ASSERT_TRUE(manifest.ok());
  writeAll(dir + "/" + kManifestFile, *manifest);
  auto report = verifyInquiry(dir);
  EXPECT_TRUE(mentions(report, kManifestFile, "signature")) << problems(report);
  EXPECT_TRUE(mentions(report, picture, "is not the picture")) << problems(report);
  std::string out;
  const int py = python(dir, &out);
  if (py == -2) GTEST_SKIP() << "python3-nacl is not installed: verify.py not run";
  EXPECT_EQ(py, 1) << out;
  EXPECT_NE(out.find(picture + " line"), std::string::npos) << "the picture itself: " << out;
}

TEST_F(InquiryTest, AReceivedTimeMovedLaterIsReported) {
  const std::string dir = exportTo("x");
  const std::string file = hourFiles(dir)[1];
  std::string text = readAll(dir + "/" + file);
  const size_t end = text.find('\n');
  auto line = json::parse(text.substr(0, end));
  line["received_at"] = line["received_at"].get<int64_t>() + 3'600'000;
  text.replace(0, end, line.dump());
  writeAll(dir + "/" + file, text);
  auto report = verifyInquiry(dir);
  EXPECT_TRUE(mentions(report, file + " line 1", "received after checkpoint")) << problems(report);
  std::string out;
  const int py = python(dir, &out);
  if (py == -2) GTEST_SKIP() << "python3-nacl is not installed: verify.py not run";
  EXPECT_EQ(py, 1) << out;
  EXPECT_NE(out.find("received after checkpoint"), std::string::npos) << out;
}

TEST_F(InquiryTest, RefusesABadPeriodOrAFolderInUse) {
  ExportOptions o;
  o.fromMs = kInquiryStart + 3'600'000;
  o.toMs = kInquiryStart;
  o.outDir = dir_.path() + "/y";
  EXPECT_FALSE(exportInquiry(b_->store(), b_->city(), o, b_->now()).ok());
  o.toMs = b_->now() + 3'600'000;
  EXPECT_FALSE(exportInquiry(b_->store(), b_->city(), o, b_->now()).ok());
  std::filesystem::create_directories(o.outDir);
  writeAll(o.outDir + "/keep", "x");
  o.toMs = kInquiryStart + 2 * 3'600'000;
  auto r = exportInquiry(b_->store(), b_->city(), o, b_->now());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos);
}

}  // namespace
}  // namespace samband::broker::inquiry
