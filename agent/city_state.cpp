// The city_state row of outbox.db.
#include "agent/city_state.h"

#include "common/vocabulary.h"

namespace samband::agent {

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
    return row;
  } catch (const std::exception& e) {
    return common::unavailable("cannot read city_state in " + db_.getFilename() + ": " + e.what());
  }
}

common::Status CityState::recordApplied(const std::string& directiveId, uint64_t number,
                                        common::ReadinessLevel level) {
  try {
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
