// See city_signal.h.
#include "agent/city_signal.h"

#include <algorithm>

#include "common/bytes.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

// A check may take this long to follow the beacon that names it (it is delivered behind the
// same heartbeat reply; a minute covers a reconnect in between).
constexpr int64_t kCheckGraceMs = 60'000;

// directiveMarks as stored in city_signal.directive_marks: "keyhex:number" joined by ','.
std::string encodeMarks(const std::vector<std::pair<common::Bytes, uint64_t>>& marks) {
  std::string out;
  for (const auto& [keyId, number] : marks) {
    if (!out.empty()) out += ',';
    out += common::toHex(keyId) + ":" + std::to_string(number);
  }
  return out;
}

// The inverse; a malformed entry is skipped (the column is only written by encodeMarks).
std::vector<std::pair<common::Bytes, uint64_t>> decodeMarks(const std::string& text) {
  std::vector<std::pair<common::Bytes, uint64_t>> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string entry = text.substr(start, end - start);
    start = end + 1;
    const size_t colon = entry.find(':');
    if (colon == std::string::npos) continue;
    common::Bytes keyId;
    if (!common::fromHex(entry.substr(0, colon), &keyId)) continue;
    try {
      out.emplace_back(std::move(keyId), std::stoull(entry.substr(colon + 1)));
    } catch (const std::exception&) {
      continue;
    }
  }
  return out;
}

std::string duration(int64_t ms) {
  if (ms < 120'000) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms / 60'000) + " min";
}

}  // namespace

bool noteSigned(CitySignalRow& row, int64_t signedAt, int64_t nowMs) {
  if (signedAt <= row.lastSignedAt) return false;
  row.lastSignedAt = signedAt;
  row.heardAt = nowMs;
  return true;
}

BeaconOutcome noteBeacon(CitySignalRow& row, const common::Message& beacon, int64_t nowMs) {
  const auto* facts = std::get_if<common::TimeBeaconMsg>(&beacon.payload);
  if (facts == nullptr) return BeaconOutcome::same;
  if (beacon.sentAt < row.beaconAt) return BeaconOutcome::older;
  if (beacon.sentAt == row.beaconAt) return BeaconOutcome::same;
  if (row.firstBeaconAt == 0) {
    row.firstBeaconAt = beacon.sentAt;
    row.baselineDirective = facts->directiveNumber;
  }
  row.beaconAt = beacon.sentAt;
  row.beacon = *facts;
  noteSigned(row, beacon.sentAt, nowMs);
  return BeaconOutcome::newer;
}

CitySignalAssessment assessCitySignal(const CitySignalInputs& in) {
  CitySignalAssessment out;
  const CitySignalRow& row = in.row;
  if (in.connected) {
    std::optional<int64_t> since =
        row.heardAt > 0 ? std::optional<int64_t>(row.heardAt) : in.connectedAt;
    if (since) {
      int64_t silent = std::max<int64_t>(0, in.nowMs - *since);
      // A broker replaying old beacons one by one moves heardAt but not the city's time.
      if (row.lastSignedAt > 0) silent = std::max(silent, in.nowMs - row.lastSignedAt);
      out.silentForMs = silent;
      if (silent > in.maxAgeMs) {
        out.problems.push_back(
            "no signed word from the city for " + duration(silent) +
            " although connected: the broker or the network may be withholding the city's "
            "messages; call the city's duty officer");
      }
    }
  }
  if (!row.beacon.directiveMarks.empty()) {
    // Each broker of the city issues directives: per issuing key, as the agent keeps its marks.
    for (const auto& [keyId, number] : row.beacon.directiveMarks) {
      const std::string key = common::toHex(keyId);
      uint64_t applied = in.appliedDirective;
      if (!in.appliedByKey.empty()) {
        auto it = in.appliedByKey.find(key);
        applied = it == in.appliedByKey.end() ? 0 : it->second;
      }
      if (number <= applied || number <= row.baselineDirective) continue;
      out.problems.push_back(
          "the city's time beacon names directive number " + std::to_string(number) +
          " of city key " + key + " but the newest this agent has from that key is " +
          std::to_string(applied) + ": it may be withheld; call the city's duty officer");
    }
  } else if (row.beacon.directiveNumber > in.appliedDirective &&
             row.beacon.directiveNumber > row.baselineDirective) {
    out.problems.push_back(
        "the city's time beacon names directive number " +
        std::to_string(row.beacon.directiveNumber) + " but the newest this agent has is " +
        std::to_string(in.appliedDirective) + ": it may be withheld; call the city's duty officer");
  }
  if (!row.beacon.checkId.empty() && !in.holdsNewestCheck &&
      row.beacon.checkIssuedAt >= row.firstBeaconAt &&
      row.beaconAt - row.beacon.checkIssuedAt > kCheckGraceMs) {
    out.problems.push_back("the city's time beacon names readiness check " + row.beacon.checkId +
                           ", which never reached this agent: it may be withheld; call the "
                           "city's duty officer");
  }
  out.ok = out.problems.empty();
  return out;
}

common::Result<CitySignalRow> CitySignalStore::read() {
  try {
    SQLite::Statement q(db_,
                        "SELECT last_signed_at, heard_at, beacon_at, first_beacon_at, "
                        "baseline_directive, level, directive_number, check_id, check_issued_at, "
                        "directive_marks FROM city_signal WHERE id = 1");
    CitySignalRow row;
    if (!q.executeStep()) return row;
    row.lastSignedAt = q.getColumn(0).getInt64();
    row.heardAt = q.getColumn(1).getInt64();
    row.beaconAt = q.getColumn(2).getInt64();
    row.firstBeaconAt = q.getColumn(3).getInt64();
    row.baselineDirective = static_cast<uint64_t>(q.getColumn(4).getInt64());
    if (!common::parseLevel(q.getColumn(5).getString(), &row.beacon.level)) {
      row.beacon.level = common::ReadinessLevel::NORMAL;
    }
    row.beacon.directiveNumber = static_cast<uint64_t>(q.getColumn(6).getInt64());
    row.beacon.checkId = q.getColumn(7).getString();
    row.beacon.checkIssuedAt = q.getColumn(8).getInt64();
    row.beacon.directiveMarks = decodeMarks(q.getColumn(9).getString());
    return row;
  } catch (const std::exception& e) {
    return common::unavailable("cannot read city_signal in " + db_.getFilename() + ": " + e.what());
  }
}

common::Status CitySignalStore::write(const CitySignalRow& row) {
  try {
    SQLite::Statement u(db_,
                        "UPDATE city_signal SET last_signed_at = ?, heard_at = ?, beacon_at = ?, "
                        "first_beacon_at = ?, baseline_directive = ?, level = ?, "
                        "directive_number = ?, check_id = ?, check_issued_at = ?, "
                        "directive_marks = ? WHERE id = 1");
    u.bind(1, row.lastSignedAt);
    u.bind(2, row.heardAt);
    u.bind(3, row.beaconAt);
    u.bind(4, row.firstBeaconAt);
    u.bind(5, static_cast<int64_t>(row.baselineDirective));
    u.bind(6, common::levelName(row.beacon.level));
    u.bind(7, static_cast<int64_t>(row.beacon.directiveNumber));
    u.bind(8, row.beacon.checkId);
    u.bind(9, row.beacon.checkIssuedAt);
    u.bind(10, encodeMarks(row.beacon.directiveMarks));
    u.exec();
    return {};
  } catch (const std::exception& e) {
    return common::unavailable("cannot update city_signal in " + db_.getFilename() + ": " +
                               e.what());
  }
}

common::Result<bool> CitySignalStore::holdsCheck(const std::string& checkId) {
  try {
    SQLite::Statement q(db_,
                        "SELECT 1 FROM inbox WHERE kind = 'readiness_check' AND ref = ? AND "
                        "verified = 1 LIMIT 1");
    q.bind(1, checkId);
    return q.executeStep();
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the inbox in " + db_.getFilename() + ": " + e.what());
  }
}

}  // namespace samband::agent
