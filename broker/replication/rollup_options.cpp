// See rollup_options.h.
#include "broker/replication/rollup_options.h"

namespace samband::broker {

const char* tierName(Tier t) {
  switch (t) {
    case Tier::city:
      return "city";
    case Tier::county:
      return "county";
    case Tier::national:
      return "national";
  }
  return "city";
}

}  // namespace samband::broker
