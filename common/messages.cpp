// See messages.h.
#include "common/messages.h"

namespace samband::common {

const char* payloadKindName(const Payload& p) {
  switch (p.index()) {
    case 0:
      return "heartbeat";
    case 1:
      return "unit_status";
    case 2:
      return "capacity";
    case 3:
      return "continuity";
    case 4:
      return "readiness_answer";
    case 5:
      return "directive_ack";
    case 6:
      return "readiness_check";
    case 7:
      return "directive";
    case 8:
      return "key_rotation";
    case 9:
      return "time_beacon";
    case 10:
      return "enrolment";
    case 11:
      return "city_key";
    case 12:
      return "roster_info";
    case 13:
      return "account";
  }
  return "unknown";
}

}  // namespace samband::common
