// See unit_report_times.h.
#include "broker/store/unit_report_times.h"

#include <SQLiteCpp/Statement.h>

#include "broker/store/columns.h"

namespace samband::broker {

common::Result<std::vector<UnitReportTimes>> unitReportTimes(Store& store) {
  std::vector<UnitReportTimes> out;
  try {
    SQLite::Statement q(store.db(),
                        "SELECT coalesce(s.sent_at, 0), coalesce(s.valid_until, 0) FROM units u "
                        "LEFT JOIN unit_status s ON s.code=u.code AND s.mode='actual'");
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64()});
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
