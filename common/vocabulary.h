// Stable text names of the wire enums, used by the CLIs, JSON output and the database.
// parse* functions return false for an unknown name.
#pragma once

#include <string>

#include "common/messages.h"

namespace samband::common {

const char* modeName(Mode m);
bool parseMode(const std::string& s, Mode* out);
const char* operationalName(OperationalState s);
bool parseOperational(const std::string& s, OperationalState* out);
const char* supplyName(Supply s);
bool parseSupply(const std::string& s, Supply* out);
const char* electricityName(Electricity e);
bool parseElectricity(const std::string& s, Electricity* out);
const char* offeredName(Offered o);
bool parseOffered(const std::string& s, Offered* out);
const char* schoolFormName(SchoolForm f);
bool parseSchoolForm(const std::string& s, SchoolForm* out);
const char* continuityName(ContinuityState s);
bool parseContinuity(const std::string& s, ContinuityState* out);
const char* levelName(ReadinessLevel l);
bool parseLevel(const std::string& s, ReadinessLevel* out);
// snake_case reason as used in `status --json` "rejected" ("bad_signature", "unit_not_owned").
const char* rejectReasonName(RejectReason r);
// How many RejectReason enumerants the schema has (they run 0 .. kRejectReasonCount - 1).
inline constexpr size_t kRejectReasonCount = 14;

}  // namespace samband::common
