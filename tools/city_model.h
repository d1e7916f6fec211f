// CityModel: a simulated Stockholm-like city of school providers and school units, generated
// deterministically from a seed. Used by `samband-sim init` (agent directories, roster CSV), by
// `samband-sim run` (which regenerates the same city from the seed) and by the benchmarks.
// Every name and number is invented; nothing describes a real person.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/messages.h"
#include "common/result.h"

namespace samband::tools {

// One of Stockholm's 13 stadsdelsområden: centre (WGS84), how far units scatter around it, its
// share of the city's children, and neighbourhood names used for unit names.
struct District {
  std::string name;
  double lat = 0;
  double lon = 0;
  double radiusKm = 0;
  double weight = 0;
  std::vector<std::string> places;
};

// The 13 districts, in the city's own order.
const std::vector<District>& stockholmDistricts();

// What kind of school unit it is; decides its school forms, size and staffing.
enum class UnitKind {
  forskola,            // förskola (ages 1-5)
  grundskolaF6,        // förskoleklass, grundskola 1-6, fritidshem
  grundskolaF9,        // förskoleklass, grundskola 1-9, fritidshem
  grundskola79,        // grundskola 7-9
  gymnasieskola,       // gymnasieskola 1-3
  anpassadGrundskola,  // anpassad grundskola 1-9
};
const char* unitKindName(UnitKind kind);

// One school form and year at a unit, with the unit's normal free seats.
struct ClassGroup {
  common::SchoolForm form = common::SchoolForm::GRUNDSKOLA;
  uint8_t year = 0;  // 0 where the form has no years
  int enrolled = 0;
  int seatsNow = 0;
  int seats72h = 0;  // cumulative: includes seatsNow
};

struct SimUnit {
  std::string code;  // 8-digit school-unit code
  std::string name;
  size_t provider = 0;  // index into City::providers
  size_t district = 0;  // index into stockholmDistricts()
  double lat = 0;
  double lon = 0;
  UnitKind kind = UnitKind::forskola;
  std::vector<ClassGroup> classes;
  int staffTotal = 0;
  int backupTankHours = 0;  // hours a full tank of the backup generator lasts; 0 = none
  int foodDays = 0;         // days of food normally in stock

  // Pupils enrolled at the unit (fritidshem children are pupils of the school already).
  int pupilsEnrolled() const;
};

struct SimProvider {
  std::string id;  // organisation number NNNNNN-NNNN
  std::string name;
  bool isCity = false;
  std::vector<size_t> units;  // indexes into City::units
};

struct CityOptions {
  int providers = 60;  // the city itself plus providers-1 private providers
  int units = 200;
  uint64_t seed = 1;
};

struct City {
  CityOptions options;
  std::vector<SimProvider> providers;  // providers[0] is the city's own schools
  std::vector<SimUnit> units;
};

inline constexpr const char* kCityProviderId = "212000-0142";
inline constexpr const char* kCityProviderName = "Stockholms stad";
inline constexpr int kMaxUnitsPerPrivateProvider = 10;

// Generates the city. The same options give the same city (names, codes, positions, sizes).
// Errors (invalidInput): providers < 1, units < providers, or more units than the private
// providers can hold next to the city's share.
common::Result<City> generateCity(const CityOptions& options);

// The unit's school forms in roster form, e.g. "forskoleklass:0;grundskola:1-9;fritidshem:0".
std::string schoolFormsText(const SimUnit& unit);

// The roster CSV (columns unit_code,unit_name,provider_id,district,lat,lon,school_forms with a
// header row, RFC 4180 quoting) that `samband-broker roster import` reads.
std::string rosterCsv(const City& city);

}  // namespace samband::tools
