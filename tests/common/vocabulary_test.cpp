// Stable names of the wire enums. They are stored in databases and printed in JSON, so the exact
// spelling of every name is part of the contract and pinned here.
#include "common/vocabulary.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace samband::common {
namespace {

template <typename E>
void expectNamesRoundTrip(const std::vector<std::string>& names, const char* (*nameOf)(E),
                          bool (*parse)(const std::string&, E*)) {
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    E value = static_cast<E>(i);
    EXPECT_EQ(nameOf(value), names[i]) << "ordinal " << i;
    E parsed = static_cast<E>(0xffff);
    ASSERT_TRUE(parse(names[i], &parsed)) << names[i];
    EXPECT_EQ(parsed, value) << names[i];
    EXPECT_TRUE(seen.insert(names[i]).second) << "duplicate name " << names[i];
  }
  EXPECT_STREQ(nameOf(static_cast<E>(names.size())), "unknown");
  EXPECT_STREQ(nameOf(static_cast<E>(0xffff)), "unknown");
}

template <typename E>
void expectUnknownNamesRefused(const std::string& valid, bool (*parse)(const std::string&, E*)) {
  std::string upper = valid;
  upper[0] = static_cast<char>(upper[0] - 'a' + 'A');
  for (const std::string& bad :
       {std::string(""), upper, valid + " ", " " + valid, valid.substr(0, valid.size() - 1),
        std::string("0"), valid + std::string(1, '\0'), std::string("unknownx")}) {
    E out = static_cast<E>(0x7777);
    EXPECT_FALSE(parse(bad, &out)) << "'" << bad << "' accepted";
    EXPECT_EQ(out, static_cast<E>(0x7777)) << "output written for '" << bad << "'";
  }
}

TEST(Vocabulary, ModeNames) {
  expectNamesRoundTrip<Mode>({"actual", "exercise", "system", "test"}, modeName, parseMode);
  expectUnknownNamesRefused<Mode>("exercise", parseMode);
}

TEST(Vocabulary, OperationalStateNames) {
  expectNamesRoundTrip<OperationalState>(
      {"unknown", "normal", "reduced", "remote", "closed", "relocated"}, operationalName,
      parseOperational);
  expectUnknownNamesRefused<OperationalState>("relocated", parseOperational);
}

TEST(Vocabulary, SupplyNames) {
  expectNamesRoundTrip<Supply>({"unknown", "ok", "degraded", "down"}, supplyName, parseSupply);
  expectUnknownNamesRefused<Supply>("degraded", parseSupply);
}

TEST(Vocabulary, ElectricityNames) {
  expectNamesRoundTrip<Electricity>({"unknown", "grid", "backup", "none"}, electricityName,
                                    parseElectricity);
  expectUnknownNamesRefused<Electricity>("backup", parseElectricity);
}

TEST(Vocabulary, OfferedNames) {
  expectNamesRoundTrip<Offered>({"unknown", "no", "yes"}, offeredName, parseOffered);
  expectUnknownNamesRefused<Offered>("yes", parseOffered);
}

TEST(Vocabulary, SchoolFormNames) {
  expectNamesRoundTrip<SchoolForm>({"forskola", "forskoleklass", "grundskola", "gymnasieskola",
                                    "fritidshem", "anpassad_grundskola", "anpassad_gymnasieskola"},
                                   schoolFormName, parseSchoolForm);
  expectUnknownNamesRefused<SchoolForm>("grundskola", parseSchoolForm);
  SchoolForm out;
  EXPECT_FALSE(parseSchoolForm("förskola", &out));
  EXPECT_FALSE(parseSchoolForm("anpassadGrundskola", &out));
}

TEST(Vocabulary, ContinuityNames) {
  expectNamesRoundTrip<ContinuityState>({"ok", "at_risk", "cannot_continue"}, continuityName,
                                        parseContinuity);
  expectUnknownNamesRefused<ContinuityState>("at_risk", parseContinuity);
  ContinuityState out;
  EXPECT_FALSE(parseContinuity("atRisk", &out));
}

TEST(Vocabulary, ReadinessLevelNames) {
  expectNamesRoundTrip<ReadinessLevel>({"unchanged", "normal", "heightened", "highest"}, levelName,
                                       parseLevel);
  expectUnknownNamesRefused<ReadinessLevel>("heightened", parseLevel);
}

TEST(Vocabulary, RejectReasonNamesAreSnakeCaseInSchemaOrder) {
  const std::vector<std::string> names = {
      "malformed",  "oversized",      "bad_signature", "unknown_sender", "key_mismatch",
      "revoked",    "unit_not_owned", "replay",        "out_of_order",   "forbidden",
      "overloaded", "internal",       "clock_skew",    "personal_data"};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(rejectReasonName(static_cast<RejectReason>(i)), names[i]);
  }
  EXPECT_EQ(static_cast<size_t>(RejectReason::PERSONAL_DATA) + 1, names.size());
  EXPECT_STREQ(rejectReasonName(static_cast<RejectReason>(14)), "unknown");
}

TEST(Vocabulary, TablesCoverEveryEnumerantOfTheSchema) {
  // A new enumerant in the schema must get a name, or it would print as "unknown".
  EXPECT_STRNE(modeName(Mode::TEST), "unknown");
  EXPECT_STREQ(operationalName(OperationalState::RELOCATED), "relocated");
  EXPECT_STREQ(supplyName(Supply::DOWN), "down");
  EXPECT_STREQ(electricityName(Electricity::NONE), "none");
  EXPECT_STREQ(offeredName(Offered::YES), "yes");
  EXPECT_STREQ(schoolFormName(SchoolForm::ANPASSAD_GYMNASIESKOLA), "anpassad_gymnasieskola");
  EXPECT_STREQ(continuityName(ContinuityState::CANNOT_CONTINUE), "cannot_continue");
  EXPECT_STREQ(levelName(ReadinessLevel::HIGHEST), "highest");
  EXPECT_STREQ(rejectReasonName(RejectReason::PERSONAL_DATA), "personal_data");
}

}  // namespace
}  // namespace samband::common
