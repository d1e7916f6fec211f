// Name tables for the wire enums. The order of each table follows the schema's ordinals.
#include "common/vocabulary.h"

#include <array>

namespace samband::common {

namespace {

template <typename E, size_t N>
const char* nameOf(const std::array<const char*, N>& names, E value) {
  auto i = static_cast<size_t>(value);
  return i < N ? names[i] : "unknown";
}

template <typename E, size_t N>
bool parseName(const std::array<const char*, N>& names, const std::string& s, E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

constexpr std::array<const char*, 4> kModes{"actual", "exercise", "system", "test"};
constexpr std::array<const char*, 6> kOperational{"unknown", "normal", "reduced",
                                                  "remote",  "closed", "relocated"};
constexpr std::array<const char*, 4> kSupply{"unknown", "ok", "degraded", "down"};
constexpr std::array<const char*, 4> kElectricity{"unknown", "grid", "backup", "none"};
constexpr std::array<const char*, 3> kOffered{"unknown", "no", "yes"};
constexpr std::array<const char*, 7> kForms{"forskola",
                                            "forskoleklass",
                                            "grundskola",
                                            "gymnasieskola",
                                            "fritidshem",
                                            "anpassad_grundskola",
                                            "anpassad_gymnasieskola"};
constexpr std::array<const char*, 3> kContinuity{"ok", "at_risk", "cannot_continue"};
constexpr std::array<const char*, 4> kLevels{"unchanged", "normal", "heightened", "highest"};
constexpr std::array<const char*, 14> kReasons{
    "malformed",  "oversized",      "bad_signature", "unknown_sender", "key_mismatch",
    "revoked",    "unit_not_owned", "replay",        "out_of_order",   "forbidden",
    "overloaded", "internal",       "clock_skew",    "personal_data"};

}  // namespace

const char* modeName(Mode m) { return nameOf(kModes, m); }
bool parseMode(const std::string& s, Mode* out) { return parseName(kModes, s, out); }
const char* operationalName(OperationalState s) { return nameOf(kOperational, s); }
bool parseOperational(const std::string& s, OperationalState* out) {
  return parseName(kOperational, s, out);
}
const char* supplyName(Supply s) { return nameOf(kSupply, s); }
bool parseSupply(const std::string& s, Supply* out) { return parseName(kSupply, s, out); }
const char* electricityName(Electricity e) { return nameOf(kElectricity, e); }
bool parseElectricity(const std::string& s, Electricity* out) {
  return parseName(kElectricity, s, out);
}
const char* offeredName(Offered o) { return nameOf(kOffered, o); }
bool parseOffered(const std::string& s, Offered* out) { return parseName(kOffered, s, out); }
const char* schoolFormName(SchoolForm f) { return nameOf(kForms, f); }
bool parseSchoolForm(const std::string& s, SchoolForm* out) { return parseName(kForms, s, out); }
const char* continuityName(ContinuityState s) { return nameOf(kContinuity, s); }
bool parseContinuity(const std::string& s, ContinuityState* out) {
  return parseName(kContinuity, s, out);
}
const char* levelName(ReadinessLevel l) { return nameOf(kLevels, l); }
bool parseLevel(const std::string& s, ReadinessLevel* out) { return parseName(kLevels, s, out); }
const char* rejectReasonName(RejectReason r) { return nameOf(kReasons, r); }

}  // namespace samband::common
