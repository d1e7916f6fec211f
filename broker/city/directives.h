// City directives: numbered, city-signed instructions to all or some providers, with expiry and
// an optional readiness level; delivery and acknowledgement are tracked per provider.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

// Meta key of the city's current readiness level ("normal", "heightened", "highest").
inline constexpr const char* kMetaLevel = "level";

struct DirectiveOptions {
  std::vector<std::string> to;  // provider ids; empty = every enrolled provider
  std::string text;
  common::ReadinessLevel level = common::ReadinessLevel::UNCHANGED;
  bool requireAck = false;
  int64_t expiresInMs = 24 * 60 * 60 * 1000;
  common::Mode mode = common::Mode::ACTUAL;
};

// Signs, archives and queues a directive in one transaction; returns its id. Errors: unknown
// recipient, empty or too long text.
common::Result<std::string> sendDirective(Store& store, const common::Identity& city,
                                          const DirectiveOptions& options, int64_t nowMs);

// Records a provider's delivery or acknowledgement (called by the committer in its transaction).
// Errors: unavailable.
common::Status recordDirectiveAck(Store& store, const std::string& provider,
                                  const common::DirectiveAckMsg& ack, int64_t receivedAt);

// Per directive: delivered to, acknowledged by, still missing. `id` empty = every directive,
// newest first. notFound for an unknown id.
common::Result<nlohmann::json> directiveStatus(Store& store, const std::optional<std::string>& id,
                                               int64_t nowMs);
std::string directiveStatusText(const nlohmann::json& status);

// Parses "30m", "24h", "7d" (or plain seconds) into milliseconds; nullopt when malformed.
std::optional<int64_t> parseDuration(const std::string& s);

}  // namespace samband::broker
