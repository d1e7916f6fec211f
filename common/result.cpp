// Names of error kinds, for logs and JSON output.
#include "common/result.h"

namespace samband::common {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalidInput:
      return "invalid_input";
    case ErrorKind::unauthorised:
      return "unauthorised";
    case ErrorKind::conflict:
      return "conflict";
    case ErrorKind::notFound:
      return "not_found";
    case ErrorKind::overloaded:
      return "overloaded";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace samband::common
