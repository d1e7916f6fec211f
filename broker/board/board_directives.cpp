// See board_directives.h.
#include "broker/board/board_directives.h"

#include <algorithm>
#include <set>

#include "broker/city/city_chain.h"
#include "broker/store/city_store.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

constexpr const char* kFields = "to, text, level, require_ack, expires and mode";

bool isBlank(const std::string& s) { return s.find_first_not_of(" \t\n") == std::string::npos; }

}  // namespace

common::Result<json> boardDirectives(Store& store, int limit, int64_t nowMs) {
  auto status = directiveStatus(store, std::nullopt, nowMs);
  if (!status) return status.error();
  auto providerNames = CityStore(store).providerNames();
  if (!providerNames) {
    return common::unavailable("cannot read providers: " + providerNames.error().message);
  }
  auto enrolledIds = enrolledProviders(store);
  if (!enrolledIds) {
    return common::unavailable("cannot read providers: " + enrolledIds.error().message);
  }
  json names = json::object();
  for (const auto& [id, name] : *providerNames) names[id] = name;
  json enrolled = json::array();
  for (const auto& id : *enrolledIds) {
    enrolled.push_back({{"id", id}, {"name", names.value(id, id)}});
  }
  const size_t total = status->size();
  json directives = json::array();
  for (size_t i = 0; i < total && i < static_cast<size_t>(std::max(limit, 1)); ++i) {
    directives.push_back(std::move((*status)[i]));
  }
  return json{{"generated_at", common::formatRfc3339(nowMs)},
              {"total", total},
              {"directives", directives},
              {"providers", names},
              {"enrolled", enrolled}};
}

common::Result<DirectiveOptions> parseDirectiveRequest(const json& body,
                                                       const std::vector<std::string>& enrolled) {
  if (!body.is_object()) {
    return common::invalidInput(
        "Send a JSON object: {\"to\": \"all\", \"text\": \"...\", \"mode\": \"actual\"}");
  }
  for (const auto& [key, value] : body.items()) {
    static const std::set<std::string> known{"to",          "text",    "level",
                                             "require_ack", "expires", "mode"};
    if (known.count(key) == 0) {
      return common::invalidInput("Unknown field \"" + key + "\"; the fields are " + kFields);
    }
  }
  DirectiveOptions o;

  // to: "all" or a list of enrolled organisation numbers.
  if (!body.contains("to")) {
    return common::invalidInput(
        "\"to\" is missing: give \"all\" or a list of organisation numbers (NNNNNN-NNNN)");
  }
  const json& to = body["to"];
  if (to.is_string()) {
    if (to.get<std::string>() != "all") {
      return common::invalidInput(
          "\"to\" must be \"all\" or a list of organisation numbers, e.g. [\"556677-8899\"]");
    }
  } else if (to.is_array()) {
    if (to.empty()) {
      return common::invalidInput(
          "\"to\" is an empty list: name at least one provider, or send \"all\"");
    }
    const std::set<std::string> known(enrolled.begin(), enrolled.end());
    for (const auto& item : to) {
      if (!item.is_string() || !common::isProviderId(item.get<std::string>())) {
        return common::invalidInput("\"to\": " + item.dump() +
                                    " is not an organisation number NNNNNN-NNNN");
      }
      const std::string id = item.get<std::string>();
      if (known.count(id) == 0) {
        return common::invalidInput("\"to\": " + id +
                                    " is not an enrolled provider (no key that is not revoked); "
                                    "see the providers tab or 'samband-broker status'");
      }
      o.to.push_back(id);
    }
  } else {
    return common::invalidInput(
        "\"to\" must be \"all\" or a list of organisation numbers, e.g. [\"556677-8899\"]");
  }

  // text: what providers must know or do.
  if (!body.contains("text") || !body["text"].is_string()) {
    return common::invalidInput("\"text\" is missing: say what the providers must know or do");
  }
  o.text = body["text"].get<std::string>();
  if (isBlank(o.text)) {
    return common::invalidInput("\"text\" is empty: say what the providers must know or do");
  }
  if (o.text.size() > common::kMaxDirectiveText) {
    return common::invalidInput("\"text\" is " + std::to_string(o.text.size()) +
                                " bytes; at most " + std::to_string(common::kMaxDirectiveText) +
                                " are allowed");
  }
  if (!common::isCleanText(o.text)) {
    return common::invalidInput(
        "\"text\" must be plain UTF-8 text: no control characters other than tab and line "
        "break");
  }

  // level: optional; absent or null leaves the city's level unchanged.
  if (body.contains("level") && !body["level"].is_null()) {
    if (!body["level"].is_string() ||
        !common::parseLevel(body["level"].get<std::string>(), &o.level)) {
      return common::invalidInput(
          "\"level\" must be \"normal\", \"heightened\" or \"highest\" (or left out to keep the "
          "city's level)");
    }
  }

  if (body.contains("require_ack")) {
    if (!body["require_ack"].is_boolean()) {
      return common::invalidInput("\"require_ack\" must be true or false");
    }
    o.requireAck = body["require_ack"].get<bool>();
  }

  if (body.contains("expires")) {
    std::optional<int64_t> ms;
    if (body["expires"].is_string()) ms = parseDuration(body["expires"].get<std::string>());
    if (!ms || *ms <= 0) {
      return common::invalidInput(
          "\"expires\" must be a duration such as \"30m\", \"24h\" or \"7d\"");
    }
    o.expiresInMs = *ms;
  }

  if (body.contains("mode")) {
    if (!body["mode"].is_string() || !common::parseMode(body["mode"].get<std::string>(), &o.mode)) {
      return common::invalidInput(
          "\"mode\" must be \"actual\", \"exercise\", \"test\" or \"system\"");
    }
  }
  return o;
}

}  // namespace samband::broker
