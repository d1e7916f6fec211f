// Fuzz target `report_json`: the JSON report bodies the agent takes from the provider's systems
// (POST /api/report, the spool directory, `report --json`; agent/report_json.h) must be refused
// with a message naming a field or the body, or parsed and then checked by the same rules as the
// command line (buildReportDrafts), never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/report_json.h"
#include "agent/report_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::agent;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = parseReportJson(body);
  if (!request) {
    if (request.error().message.empty()) __builtin_trap();
    (void)reportFieldOfError(request.error().message);
    return 0;
  }
  static const AgentConfig config = [] {
    AgentConfig c;
    c.provider = "556677-8899";
    c.units = {"12345678", "87654321"};
    return c;
  }();
  auto drafts = buildReportDrafts(*request, config, 1'800'000'000'000);
  if (!drafts) {
    if (drafts.error().message.empty()) __builtin_trap();
    (void)reportFieldOfError(drafts.error().message);
  } else if (drafts->empty()) {
    __builtin_trap();
  }
  return 0;
}
