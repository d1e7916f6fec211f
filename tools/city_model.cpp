// Generation of the simulated city. The figures are plausible, not real: district centres and
// population weights follow Stockholm's stadsdelsområden; sizes, staffing and free seats follow
// typical Swedish school units. See docs/simulator.md.
// Over 500 lines on purpose: one generator of one city (districts, providers, units, seats) whose
// parts share its random stream.
#include "tools/city_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "common/csv.h"
#include "common/vocabulary.h"
#include "tools/sim_random.h"

namespace samband::tools {

namespace {

using common::SchoolForm;

constexpr double kPi = 3.14159265358979323846;
constexpr double kKmPerDegreeLat = 111.32;
// The city runs a bit under half of the units: most förskolor and grundskolor, few gymnasier.
constexpr double kCityShareOfUnits = 0.45;

// Names of förskolor: animals, flowers and trees, as förskolor are often named.
const std::vector<std::string> kPreschoolNames = {
    "Solrosen",     "Lärkan",     "Ekorren",    "Blåklockan", "Nyckelpigan", "Humlan",
    "Vitsippan",    "Tallkotten", "Myrstacken", "Snäckan",    "Regnbågen",   "Stjärnan",
    "Fjärilen",     "Ugglan",     "Igelkotten", "Måsen",      "Sjöstjärnan", "Äppellunden",
    "Hallonet",     "Lingonet",   "Blåbäret",   "Eken",       "Linden",      "Björken",
    "Rönnen",       "Vallmon",    "Maskrosen",  "Klövern",    "Prästkragen", "Svalan",
    "Trollsländan", "Päronet",    "Körsbäret",  "Gläntan",    "Lyktan",      "Sparven",
    "Räven",        "Haren",      "Bofinken",   "Kastanjen",  "Smultronet",  "Tussilagon"};

// Invented place-like stems for the city's schools, next to the districts' real place names.
const std::vector<std::string> kSchoolStems = {
    "Ekhag",     "Björkängs",  "Tallbacks", "Sjöviks",    "Granbacka",   "Kvarnbacka", "Lövängs",
    "Rosendals", "Bergsgårds", "Ängsgårds", "Haga",       "Ljung",       "Vitsippe",   "Lindhags",
    "Solbergs",  "Enbacka",    "Almviks",   "Strandängs", "Hasselbacka", "Furuhälls"};

// Stems for invented private providers; their units are named after them.
const std::vector<std::string> kProviderStems = {
    "Norrsken",   "Ljusglimt", "Ekbacka",    "Solglänta",    "Vägvisare", "Fyrbåk",
    "Stjärnfall", "Björkhaga", "Kompass",    "Nyfiken",      "Mosaik",    "Lärkträd",
    "Havsörn",    "Tranbär",   "Kastanj",    "Silverpil",    "Gnistan",   "Blåvinge",
    "Granskog",   "Lönnlöv",   "Fjällsippa", "Kvarnsten",    "Sjöbris",   "Skogsglänta",
    "Ängsblomma", "Ljunghed",  "Trädkrona",  "Vindros",      "Järnek",    "Ankarsten",
    "Rönnbär",    "Pionjär",   "Upptäckar",  "Kunskapsträd", "Lyktan",    "Vildros",
    "Sjöfalk",    "Eldsjäl",   "Måsholmen",  "Polstjärn",    "Aspnäs",    "Blåsippa",
    "Ekorrbo",    "Forsen",    "Guldvinge",  "Humlebo",      "Idegran",   "Kornblixt",
    "Linnea",     "Näckros",   "Orrspel",    "Pilgrim",      "Regnbåge",  "Saltsjö",
    "Tärnan",     "Vårljus",   "Ängsklocka", "Örnnäste",     "Lövsal",    "Myrbacka",
    "Nordvind",   "Solvändan", "Tallmo",     "Vinterek",     "Åkerbär",   "Hjortron",
    "Kungsljus",  "Fågelsång"};

enum class ProviderKind { preschools, compulsory, upperSecondary, mixed };

struct Weighted {
  UnitKind kind;
  double weight;
};

// Kinds of the city's own units (shares of a typical Swedish municipality's units).
const std::vector<Weighted> kCityKinds = {
    {UnitKind::forskola, 42},    {UnitKind::grundskolaF6, 20}, {UnitKind::grundskolaF9, 15},
    {UnitKind::grundskola79, 9}, {UnitKind::gymnasieskola, 6}, {UnitKind::anpassadGrundskola, 8}};

UnitKind drawKind(SimRandom& rng, const std::vector<Weighted>& kinds) {
  std::vector<double> w;
  for (const auto& k : kinds) w.push_back(k.weight);
  return kinds[rng.weighted(w)].kind;
}

UnitKind kindForProvider(SimRandom& rng, ProviderKind p) {
  switch (p) {
    case ProviderKind::preschools:
      return UnitKind::forskola;
    case ProviderKind::compulsory:
      return drawKind(rng, {{UnitKind::grundskolaF9, 45},
                            {UnitKind::grundskolaF6, 30},
                            {UnitKind::grundskola79, 15},
                            {UnitKind::forskola, 10}});
    case ProviderKind::upperSecondary:
      return UnitKind::gymnasieskola;
    case ProviderKind::mixed:
      return drawKind(rng, {{UnitKind::forskola, 35},
                            {UnitKind::grundskolaF9, 35},
                            {UnitKind::gymnasieskola, 20},
                            {UnitKind::anpassadGrundskola, 10}});
  }
  return UnitKind::forskola;
}

// Luhn check digit over `digits` (as for Swedish organisation numbers).
int luhnDigit(const std::string& digits) {
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    int d = digits[i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - sum % 10) % 10;
}

// An aktiebolag's organisation number: 556xxx or 559xxx, with a valid check digit.
std::string companyNumber(SimRandom& rng) {
  // Separate statements: the order of evaluation of function arguments is unspecified.
  const char* prefix = rng.chance(0.5) ? "556" : "559";
  const auto serial = static_cast<int>(rng.between(int64_t{0}, int64_t{999999}));
  char nine[16];
  std::snprintf(nine, sizeof nine, "%s%06d", prefix, serial);
  std::string digits(nine);
  digits += static_cast<char>('0' + luhnDigit(digits));
  return digits.substr(0, 6) + "-" + digits.substr(6);
}

std::string companyName(SimRandom& rng, ProviderKind kind, const std::string& stem) {
  static const std::vector<std::string> preschool = {" Förskolor AB", " Förskola AB",
                                                     " Barnomsorg AB"};
  static const std::vector<std::string> compulsory = {" Skolor AB", " Friskola AB",
                                                      " Utbildning AB", " Montessori AB"};
  static const std::vector<std::string> upper = {" Gymnasium AB", " Utbildning AB",
                                                 " Gymnasieskolor AB"};
  static const std::vector<std::string> mixed = {" Lärande AB", " Pedagogik AB",
                                                 " Skolor och Förskolor AB"};
  switch (kind) {
    case ProviderKind::preschools:
      return stem + rng.pick(preschool);
    case ProviderKind::compulsory:
      return stem + rng.pick(compulsory);
    case ProviderKind::upperSecondary:
      return stem + rng.pick(upper);
    case ProviderKind::mixed:
      return stem + rng.pick(mixed);
  }
  return stem + " AB";
}

bool endsWithVowel(const std::string& s) {
  // Swedish vowels; å, ä, ö and y are multi-byte or plain, so compare the tail.
  static const std::vector<std::string> vowels = {"a", "e", "i", "o", "u", "y", "å", "ä", "ö"};
  for (const auto& v : vowels) {
    if (s.size() >= v.size() && s.compare(s.size() - v.size(), v.size(), v) == 0) return true;
  }
  return false;
}

// "Kista" -> "Kistaskolan", "Kärrtorp" -> "Kärrtorps skola", "Farsta strand" -> "Farsta
// strands skola".
std::string placeSchool(const std::string& place) {
  if (place.find(' ') == std::string::npos && endsWithVowel(place)) return place + "skolan";
  return place + "s skola";
}

std::string unitName(SimRandom& rng, const SimUnit& u, const SimProvider& p,
                     const std::string& providerStem) {
  const District& d = stockholmDistricts()[u.district];
  const std::string& place = rng.pick(d.places);
  if (p.isCity) {
    switch (u.kind) {
      case UnitKind::forskola:
        return "Förskolan " + rng.pick(kPreschoolNames);
      case UnitKind::gymnasieskola:
        return place + " gymnasium";
      case UnitKind::anpassadGrundskola:
        return "Anpassad grundskola " + place;
      default:
        return rng.chance(0.6) ? placeSchool(place) : rng.pick(kSchoolStems) + "skolan";
    }
  }
  switch (u.kind) {
    case UnitKind::forskola:
      return "Förskolan " + providerStem + " " + place;
    case UnitKind::gymnasieskola:
      return providerStem + "gymnasiet " + place;
    case UnitKind::anpassadGrundskola:
      return providerStem + "skolan anpassad grundskola";
    default:
      return providerStem + "skolan " + place;
  }
}

int roundi(double x) { return static_cast<int>(std::lround(x)); }

void addClass(SimRandom& rng, SimUnit& u, SchoolForm form, uint8_t year, int enrolled,
              double seatShare) {
  ClassGroup c;
  c.form = form;
  c.year = year;
  c.enrolled = enrolled;
  c.seatsNow = roundi(enrolled * rng.real(0.0, seatShare));
  c.seats72h = c.seatsNow + roundi(enrolled * rng.real(0.0, seatShare));
  u.classes.push_back(c);
}

// Classes, staff, backup power and food stock of a unit of the given kind.
void furnish(SimRandom& rng, SimUnit& u) {
  double staff = 0;
  int tankChoices[] = {8, 12, 18, 24, 36, 48};
  double generatorChance = 0.25;
  switch (u.kind) {
    case UnitKind::forskola: {
      int children = static_cast<int>(rng.between(int64_t{28}, int64_t{110}));
      addClass(rng, u, SchoolForm::FORSKOLA, 0, children, 0.08);
      staff = children / rng.real(4.8, 5.6);
      generatorChance = 0.10;
      break;
    }
    case UnitKind::grundskolaF6:
    case UnitKind::grundskolaF9:
    case UnitKind::grundskola79: {
      const int tracks = static_cast<int>(rng.between(int64_t{1}, int64_t{4}));  // parallel classes
      const int first = u.kind == UnitKind::grundskola79 ? 7 : 0;
      const int last = u.kind == UnitKind::grundskolaF6 ? 6 : 9;
      int pupils = 0;
      int youngest = 0;  // förskoleklass to year 3: most of them go to fritidshem
      int older = 0;     // years 4 to 6
      for (int year = first; year <= last; ++year) {
        const int n = roundi(tracks * rng.real(20.0, 28.0) * (first == 7 ? 1.6 : 1.0));
        addClass(rng, u, year == 0 ? SchoolForm::FORSKOLEKLASS : SchoolForm::GRUNDSKOLA,
                 static_cast<uint8_t>(year), n, 0.06);
        pupils += n;
        if (year <= 3) youngest += n;
        if (year >= 4 && year <= 6) older += n;
      }
      if (first == 0) {
        const double youngShare = rng.real(0.75, 0.9);
        const double olderShare = rng.real(0.15, 0.35);
        const int fritids = roundi(youngest * youngShare + older * olderShare);
        addClass(rng, u, SchoolForm::FRITIDSHEM, 0, fritids, 0.05);
        staff += fritids / rng.real(18.0, 24.0);
      }
      staff += pupils / rng.real(11.0, 13.5);
      generatorChance = u.kind == UnitKind::grundskolaF6 ? 0.25 : 0.35;
      break;
    }
    case UnitKind::gymnasieskola: {
      int pupils = 0;
      const double size = rng.real(90.0, 330.0);
      for (int year = 1; year <= 3; ++year) {
        const int n = roundi(size * rng.real(0.9, 1.05));
        addClass(rng, u, SchoolForm::GYMNASIESKOLA, static_cast<uint8_t>(year), n, 0.08);
        pupils += n;
      }
      staff = pupils / rng.real(13.0, 15.5);
      generatorChance = 0.6;
      break;
    }
    case UnitKind::anpassadGrundskola: {
      int pupils = 0;
      for (int year = 1; year <= 9; ++year) {
        const int n = static_cast<int>(rng.between(int64_t{2}, int64_t{8}));
        addClass(rng, u, SchoolForm::ANPASSAD_GRUNDSKOLA, static_cast<uint8_t>(year), n, 0.1);
        pupils += n;
      }
      staff = pupils / rng.real(2.0, 3.0);
      generatorChance = 0.5;
      break;
    }
  }
  u.staffTotal = std::max(3, roundi(staff));
  u.backupTankHours =
      rng.chance(generatorChance) ? tankChoices[rng.between(int64_t{0}, int64_t{5})] : 0;
  u.foodDays = static_cast<int>(rng.between(int64_t{2}, int64_t{5}));
}

void place(SimRandom& rng, SimUnit& u) {
  const District& d = stockholmDistricts()[u.district];
  const double north = std::clamp(rng.normal() * d.radiusKm / 2, -d.radiusKm, d.radiusKm);
  const double east = std::clamp(rng.normal() * d.radiusKm / 2, -d.radiusKm, d.radiusKm);
  u.lat = d.lat + north / kKmPerDegreeLat;
  u.lon = d.lon + east / (kKmPerDegreeLat * std::cos(d.lat * kPi / 180.0));
}

size_t drawDistrict(SimRandom& rng) {
  std::vector<double> w;
  for (const auto& d : stockholmDistricts()) w.push_back(d.weight);
  return rng.weighted(w);
}

// Makes `name` unique among `used` by adding the district, then a number.
std::string uniqueName(std::string name, const std::string& district, std::set<std::string>& used) {
  if (used.count(name)) name += " (" + district + ")";
  const std::string base = name;
  for (int n = 2; used.count(name); ++n) name = base + " " + std::to_string(n);
  used.insert(name);
  return name;
}

// How many units each of `count` private providers runs: at least one each, most run one or
// two, a few chains run up to kMaxUnitsPerPrivateProvider.
std::vector<int> privateUnitCounts(SimRandom& rng, int count, int total) {
  std::vector<int> counts(static_cast<size_t>(count), 1);
  std::vector<double> appetite;
  for (int i = 0; i < count; ++i) appetite.push_back(std::pow(1.0 - rng.unit(), -1.3) - 0.8);
  for (int left = total - count; left > 0; --left) {
    std::vector<double> w = appetite;
    for (size_t i = 0; i < w.size(); ++i) {
      if (counts[i] >= kMaxUnitsPerPrivateProvider) w[i] = 0;
    }
    ++counts[rng.weighted(w)];
  }
  return counts;
}

}  // namespace

const std::vector<District>& stockholmDistricts() {
  // Centres are rounded WGS84 positions of each area's middle; weights are thousands of
  // inhabitants, rounded. Places are neighbourhoods in each area.
  static const std::vector<District> districts = {
      {"Rinkeby-Kista", 59.3990, 17.9290, 2.2, 52, {"Rinkeby", "Kista", "Husby", "Akalla"}},
      {"Spånga-Tensta",
       59.3880,
       17.8990,
       2.0,
       40,
       {"Tensta", "Spånga", "Hjulsta", "Solhem", "Bromsten", "Flysta", "Sundby"}},
      {"Hässelby-Vällingby",
       59.3660,
       17.8500,
       2.6,
       76,
       {"Hässelby", "Vällingby", "Grimsta", "Råcksta", "Kälvesta", "Vinsta", "Nälsta"}},
      {"Bromma",
       59.3380,
       17.9400,
       2.8,
       80,
       {"Alvik", "Abrahamsberg", "Ängby", "Nockeby", "Ulvsunda", "Traneberg", "Åkeshov",
        "Olovslund", "Blackeberg", "Beckomberga", "Riksby"}},
      {"Kungsholmen",
       59.3330,
       18.0300,
       1.2,
       70,
       {"Kungsholmen", "Fredhäll", "Stadshagen", "Kristineberg", "Marieberg"}},
      {"Norrmalm",
       59.3420,
       18.0470,
       1.1,
       75,
       {"Vasastan", "Birkastan", "Rödabergen", "Hagastaden", "Sabbatsberg", "Norrmalm"}},
      {"Östermalm",
       59.3420,
       18.0880,
       1.5,
       75,
       {"Östermalm", "Gärdet", "Lärkstaden", "Hjorthagen", "Djurgården", "Ropsten"}},
      {"Södermalm",
       59.3140,
       18.0710,
       1.5,
       130,
       {"Katarina", "Maria", "Sofia", "Högalid", "Hornstull", "Tanto", "Hammarby sjöstad"}},
      {"Enskede-Årsta-Vantör",
       59.2790,
       18.0680,
       2.4,
       105,
       {"Enskede", "Årsta", "Enskededalen", "Stureby", "Svedmyra", "Högdalen", "Rågsved",
        "Hagsätra", "Bandhagen", "Örby"}},
      {"Skarpnäck",
       59.2720,
       18.1230,
       1.8,
       50,
       {"Skarpnäck", "Bagarmossen", "Björkhagen", "Kärrtorp", "Hammarbyhöjden"}},
      {"Farsta",
       59.2450,
       18.0900,
       2.0,
       60,
       {"Farsta", "Farsta strand", "Gubbängen", "Hökarängen", "Sköndal", "Tallkrogen", "Larsboda",
        "Fagersjö"}},
      {"Hägersten-Älvsjö",
       59.2940,
       17.9900,
       2.6,
       110,
       {"Hägersten", "Liljeholmen", "Midsommarkransen", "Aspudden", "Västertorp", "Fruängen",
        "Älvsjö", "Solberga", "Herrängen", "Långbro", "Mälarhöjden"}},
      {"Skärholmen", 59.2760, 17.9070, 1.8, 38, {"Skärholmen", "Vårberg", "Bredäng", "Sätra"}},
  };
  return districts;
}

const char* unitKindName(UnitKind kind) {
  switch (kind) {
    case UnitKind::forskola:
      return "förskola";
    case UnitKind::grundskolaF6:
      return "grundskola F-6";
    case UnitKind::grundskolaF9:
      return "grundskola F-9";
    case UnitKind::grundskola79:
      return "grundskola 7-9";
    case UnitKind::gymnasieskola:
      return "gymnasieskola";
    case UnitKind::anpassadGrundskola:
      return "anpassad grundskola";
  }
  return "unknown";
}

int SimUnit::pupilsEnrolled() const {
  int n = 0;
  for (const auto& c : classes) {
    if (c.form != common::SchoolForm::FRITIDSHEM) n += c.enrolled;
  }
  return n;
}

common::Result<City> generateCity(const CityOptions& o) {
  if (o.providers < 1) return common::invalidInput("--providers must be at least 1");
  if (o.units < o.providers) {
    return common::invalidInput(
        "--units must be at least --providers (every provider runs a "
        "unit); got " +
        std::to_string(o.units) + " units for " + std::to_string(o.providers) + " providers");
  }
  const int privateCount = o.providers - 1;
  int privateUnits = o.units - static_cast<int>(std::lround(o.units * kCityShareOfUnits));
  if (privateCount == 0) privateUnits = 0;
  privateUnits = std::clamp(privateUnits, privateCount, privateCount * kMaxUnitsPerPrivateProvider);
  const int cityUnits = o.units - privateUnits;
  if (cityUnits < 1) {
    return common::invalidInput("too few units for the city's own schools; raise --units");
  }

  SimRandom rng(o.seed);
  City city;
  city.options = o;
  std::set<std::string> usedIds = {kCityProviderId};
  std::set<std::string> usedCodes;
  std::set<std::string> usedUnitNames;
  std::set<std::string> usedProviderNames = {kCityProviderName};

  auto newUnit = [&](size_t provider, UnitKind kind, size_t district,
                     const std::string& providerStem) {
    SimUnit u;
    do {
      u.code = std::to_string(rng.between(int64_t{10000000}, int64_t{99999999}));
    } while (usedCodes.count(u.code));
    usedCodes.insert(u.code);
    u.provider = provider;
    u.kind = kind;
    u.district = district;
    place(rng, u);
    furnish(rng, u);
    // A few fresh draws first; a suffix only when the name pool is exhausted.
    std::string name;
    for (int attempt = 0; attempt < 8; ++attempt) {
      name = unitName(rng, u, city.providers[provider], providerStem);
      if (usedUnitNames.count(name) == 0) break;
    }
    u.name = uniqueName(name, stockholmDistricts()[district].name, usedUnitNames);
    city.providers[provider].units.push_back(city.units.size());
    city.units.push_back(std::move(u));
  };

  city.providers.push_back({kCityProviderId, kCityProviderName, true, {}});
  for (int i = 0; i < cityUnits; ++i) {
    newUnit(0, drawKind(rng, kCityKinds), drawDistrict(rng), "");
  }

  const std::vector<int> counts = privateUnitCounts(rng, privateCount, privateUnits);
  // Stems in a seed-dependent order (Fisher-Yates); past the list, stems get a number.
  std::vector<std::string> stems = kProviderStems;
  for (size_t i = stems.size(); i > 1; --i) {
    std::swap(stems[i - 1],
              stems[static_cast<size_t>(rng.between(int64_t{0}, static_cast<int64_t>(i) - 1))]);
  }
  for (int i = 0; i < privateCount; ++i) {
    SimProvider p;
    do {
      p.id = companyNumber(rng);
    } while (usedIds.count(p.id));
    usedIds.insert(p.id);
    const int n = counts[static_cast<size_t>(i)];
    const ProviderKind kind =
        n >= 6 ? (rng.chance(0.5) ? ProviderKind::preschools : ProviderKind::mixed)
               : static_cast<ProviderKind>(rng.weighted({45, 35, 15, 5}));
    const size_t round = static_cast<size_t>(i) / stems.size();
    const std::string& stem = stems[static_cast<size_t>(i) % stems.size()];
    const std::string companyStem = round > 0 ? stem + " " + std::to_string(round + 1) : stem;
    std::string name = companyName(rng, kind, companyStem);
    for (int k = 2; usedProviderNames.count(name); ++k) {
      name = companyName(rng, kind, companyStem + " " + std::to_string(k));
    }
    usedProviderNames.insert(name);
    p.name = name;
    city.providers.push_back(std::move(p));
    const size_t home = drawDistrict(rng);
    for (int k = 0; k < n; ++k) {
      const size_t district = rng.chance(0.65) ? home : drawDistrict(rng);
      newUnit(city.providers.size() - 1, kindForProvider(rng, kind), district, stem);
    }
  }
  return city;
}

std::string schoolFormsText(const SimUnit& unit) {
  // Consecutive years of one form are joined into a range.
  std::string out;
  const auto& cs = unit.classes;
  for (size_t i = 0; i < cs.size();) {
    size_t j = i;
    while (j + 1 < cs.size() && cs[j + 1].form == cs[i].form && cs[j + 1].year == cs[j].year + 1) {
      ++j;
    }
    if (!out.empty()) out += ';';
    out += std::string(common::schoolFormName(cs[i].form)) + ":" + std::to_string(cs[i].year);
    if (j > i) out += "-" + std::to_string(cs[j].year);
    i = j + 1;
  }
  return out;
}

std::string rosterCsv(const City& city) {
  std::string out = "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n";
  char pos[64];
  for (const auto& u : city.units) {
    std::snprintf(pos, sizeof pos, "%.5f,%.5f", u.lat, u.lon);
    out += u.code + "," + common::csvField(u.name) + "," + city.providers[u.provider].id + "," +
           common::csvField(stockholmDistricts()[u.district].name) + "," + pos + "," +
           common::csvField(schoolFormsText(u)) + "\n";
  }
  return out;
}

}  // namespace samband::tools
