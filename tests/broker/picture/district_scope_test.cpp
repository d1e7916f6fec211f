// Tests of DistrictScope, the one place a district-limited user's limit is applied: to a picture
// (units, providers, exercise and other-mode rows) and to the planner's input (units, cohorts,
// closures, what-if marks, names), so that no other district's unit is left anywhere.
#include "broker/picture/district_scope.h"

#include <gtest/gtest.h>

namespace samband::broker {
namespace {

using nlohmann::json;

TEST(DistrictScope, AnEmptyScopeAllowsEveryDistrictAndUnitsWithoutOne) {
  DistrictScope all;
  EXPECT_FALSE(all.isLimited());
  EXPECT_TRUE(all.allows(std::string("Bromma")));
  EXPECT_TRUE(all.allows(std::nullopt));
  EXPECT_TRUE(all.allowsJson(nullptr));
  DistrictScope alsoAll(std::vector<std::string>{});
  EXPECT_FALSE(alsoAll.isLimited());
}

TEST(DistrictScope, ALimitedScopeAllowsOnlyItsDistrictsExactly) {
  DistrictScope scope({"Farsta", "Bromma", "Farsta"});
  EXPECT_EQ(scope.districts(), (std::vector<std::string>{"Bromma", "Farsta"}));
  EXPECT_TRUE(scope.allows(std::string("Bromma")));
  EXPECT_FALSE(scope.allows(std::string("bromma"))) << "names are compared exactly";
  EXPECT_FALSE(scope.allows(std::string("Kungsholmen")));
  EXPECT_FALSE(scope.allows(std::nullopt)) << "a unit without a district is in none";
  EXPECT_FALSE(scope.allows(std::string("")));
  EXPECT_FALSE(scope.allowsJson(nullptr));
  EXPECT_FALSE(scope.allowsJson(7));
}

TEST(DistrictScope, RestrictsAPictureAndDropsProvidersLeftWithoutUnits) {
  json picture = json::parse(R"({
    "providers": [
      {"id": "1", "units": [{"code": "11111111", "district": "Bromma"},
                            {"code": "22222222", "district": "Kungsholmen"}]},
      {"id": "2", "units": [{"code": "33333333", "district": "Kungsholmen"}]},
      {"id": "3", "units": [{"code": "44444444", "district": null}]}],
    "exercise": [{"code": "22222222", "district": "Kungsholmen"},
                 {"code": "11111111", "district": "Bromma"}],
    "other_modes": [{"code": "22222222"}, {"code": "11111111"}]})");
  DistrictScope({"Bromma"}).restrictPicture(picture);
  ASSERT_EQ(picture["providers"].size(), 1u);
  EXPECT_EQ(picture["providers"][0]["id"], "1");
  ASSERT_EQ(picture["providers"][0]["units"].size(), 1u);
  EXPECT_EQ(picture["providers"][0]["units"][0]["code"], "11111111");
  EXPECT_EQ(picture["exercise"], json::parse(R"([{"code": "11111111", "district": "Bromma"}])"));
  EXPECT_EQ(picture["other_modes"], json::parse(R"([{"code": "11111111"}])"));
  EXPECT_TRUE(DistrictScope::hasProvider(picture, "1"));
  EXPECT_FALSE(DistrictScope::hasProvider(picture, "2"));
  json untouched =
      json::parse(R"({"providers": [{"id": "3", "units": [{"code": "4", "district": null}]}]})");
  const json before = untouched;
  DistrictScope().restrictPicture(untouched);
  EXPECT_EQ(untouched, before);
}

TEST(DistrictScope, RestrictsThePlannersInputToItsDistricts) {
  PlanningData data;
  data.input.units = {{"11111111", "Ek", "p1", "Bromma", std::nullopt},
                      {"22222222", "Björk", "p1", "Kungsholmen", std::nullopt},
                      {"33333333", "Lönn", "p2", "Kungsholmen", std::nullopt},
                      {"44444444", "Alm", "p3", "", std::nullopt}};
  for (const auto& u : data.input.units) {
    Cohort c;
    c.unitCode = u.code;
    c.key = {"grundskola", 1};
    c.enrolled = 20;
    data.input.cohorts.push_back(c);
    data.unitNames[u.code] = u.name;
    data.unitProviders[u.code] = u.providerId;
    data.unitsWithCapacity.insert(u.code);
    data.situations[u.code] = UnitSituation{};
    data.figureOrigins[{u.code, "grundskola", 1}] = FigureOrigin{};
  }
  data.dutyContacts = {{"p1", "jour 1"}, {"p2", "jour 2"}};
  data.providerNames = {{"p1", "Ett"}, {"p2", "Två"}, {"p3", "Tre"}};
  data.unitsByProvider = {
      {"p1", {"11111111", "22222222"}}, {"p2", {"33333333"}}, {"p3", {"44444444"}}};
  data.closedUnits = {"22222222", "11111111"};
  data.cannotContinueUnits = {"33333333"};
  data.whatIfUnits = {"44444444", "11111111"};
  DistrictScope({"Bromma"}).restrictPlanningData(data);
  ASSERT_EQ(data.input.units.size(), 1u);
  EXPECT_EQ(data.input.units[0].code, "11111111");
  ASSERT_EQ(data.input.cohorts.size(), 1u);
  EXPECT_EQ(data.input.cohorts[0].unitCode, "11111111");
  EXPECT_EQ(data.unitNames.size(), 1u);
  EXPECT_EQ(data.unitsWithCapacity, (std::set<std::string>{"11111111"}));
  EXPECT_EQ(data.closedUnits, (std::set<std::string>{"11111111"}));
  EXPECT_TRUE(data.cannotContinueUnits.empty());
  EXPECT_EQ(data.whatIfUnits, (std::set<std::string>{"11111111"}));
  EXPECT_EQ(data.providerNames.size(), 1u);
  ASSERT_EQ(data.unitsByProvider.size(), 1u);
  EXPECT_EQ(data.unitsByProvider["p1"], (std::vector<std::string>{"11111111"}));
  EXPECT_EQ(data.unitProviders.size(), 1u);
  EXPECT_EQ(data.situations.count("11111111"), 1u);
  EXPECT_EQ(data.situations.size(), 1u);
  EXPECT_EQ(data.figureOrigins.size(), 1u);
  EXPECT_EQ(data.dutyContacts, (std::map<std::string, std::string>{{"p1", "jour 1"}}));
}

}  // namespace
}  // namespace samband::broker
