// The city_state row of outbox.db.
#include "agent/city_state.h"

#include "common/bytes.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::agent {

uint64_t CityStateRow::appliedBy(const std::string& keyIdHex) const {
  if (directiveNumberByKey.empty()) return directiveNumber;
  auto it = directiveNumberByKey.find(keyIdHex);
  return it == directiveNumberByKey.end() ? 0 : it->second;
}

std::string CityState::legacyIssuer() {
  SQLite::Statement q(db_,
                      "SELECT body FROM inbox WHERE kind = 'directive' AND state = 'applied' "
                      "ORDER BY id DESC LIMIT 1");
  if (!q.executeStep()) return "";
  const auto* p = static_cast<const uint8_t*>(q.getColumn(0).getBlob());
  auto envelope = common::decodeEnvelope(common::Bytes(p, p + q.getColumn(0).getBytes()));
  if (!envelope) return "";
  auto body = common::decodeBody(envelope->body);
  return body ? common::toHex(body->keyId) : "";
}

common::Result<CityStateRow> CityState::read() {
  try {
    SQLite::Statement q(db_,
                        "SELECT level, level_directive, directive_number FROM city_state WHERE "
                        "id = 1");
    CityStateRow row;
    if (!q.executeStep()) return row;
    if (!common::parseLevel(q.getColumn(0).getString(), &row.level)) {
      row.level = common::ReadinessLevel::NORMAL;
    }
    row.levelDirective = q.getColumn(1).getString();
    row.directiveNumber = static_cast<uint64_t>(q.getColumn(2).getInt64());
    SQLite::Statement marks(db_, "SELECT key_id, number FROM directive_marks");
    while (marks.executeStep()) {
      row.directiveNumberByKey[marks.getColumn(0).getString()] =
          static_cast<uint64_t>(marks.getColumn(1).getInt64());
    }
    if (row.directiveNumberByKey.empty() && row.directiveNumber > 0) {
      if (auto key = legacyIssuer(); !key.empty()) {
        row.directiveNumberByKey[key] = row.directiveNumber;
      }
    }
    return row;
  } catch (const std::exception& e) {
    return common::unavailable("cannot read city_state in " + db_.getFilename() + ": " + e.what());
  }
}

common::Status CityState::recordApplied(const std::string& directiveId, const std::string& keyIdHex,
                                        uint64_t number, common::ReadinessLevel level) {
  try {
    // The first per-key mark of a file from before them keeps the old mark for its key.
    SQLite::Statement any(db_, "SELECT 1 FROM directive_marks LIMIT 1");
    if (!any.executeStep()) {
      SQLite::Statement old(db_, "SELECT directive_number FROM city_state WHERE id = 1");
      const int64_t legacy = old.executeStep() ? old.getColumn(0).getInt64() : 0;
      if (auto key = legacyIssuer(); legacy > 0 && !key.empty()) {
        SQLite::Statement k(db_, "INSERT INTO directive_marks (key_id, number) VALUES (?, ?)");
        k.bind(1, key);
        k.bind(2, legacy);
        k.exec();
      }
    }
    SQLite::Statement m(db_,
                        "INSERT INTO directive_marks (key_id, number) VALUES (?, ?) ON "
                        "CONFLICT (key_id) DO UPDATE SET number = MAX(number, excluded.number)");
    m.bind(1, keyIdHex);
    m.bind(2, static_cast<int64_t>(number));
    m.exec();
    SQLite::Statement n(db_,
                        "UPDATE city_state SET directive_number = MAX(directive_number, ?) WHERE "
                        "id = 1");
    n.bind(1, static_cast<int64_t>(number));
    n.exec();
    if (level != common::ReadinessLevel::UNCHANGED) {
      SQLite::Statement l(db_, "UPDATE city_state SET level = ?, level_directive = ? WHERE id = 1");
      l.bind(1, common::levelName(level));
      l.bind(2, directiveId);
      l.exec();
    }
    return {};
  } catch (const std::exception& e) {
    return common::unavailable("cannot update city_state in " + db_.getFilename() + ": " +
                               e.what());
  }
}

}  // namespace samband::agent
