// ApiTokens: the bearer tokens with which the provider's own systems (a school administration
// system that knows attendance) post reports to POST /api/report (agent/form_server.h). Each
// token has a name and the units it may report for; outbox.db keeps only its BLAKE2b hash
// (web/tokens.h), so the token is shown once, when it is made. Managed with
// `samband-agent token add|list|remove`.
//
// Threads: one connection, used from the thread that holds it. Errors: SQLite failures are
// `unavailable`; bad input `invalidInput`, a taken name `conflict`, an unknown one `notFound`.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

struct ApiToken {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> units;  // sorted
  int64_t createdAt = 0;
  std::optional<int64_t> lastUsedAt;
  bool mayReportFor(const std::string& unit) const;
};

class ApiTokens {
 public:
  // `db` must outlive this object.
  explicit ApiTokens(SQLite::Database& db) : db_(db) {}

  // Makes a token called `name` (the user-name rule) for `units` (each one of `config`'s) and
  // returns it: the only time it is seen.
  common::Result<std::string> add(const std::string& name, const std::vector<std::string>& units,
                                  const AgentConfig& config, int64_t nowMs);
  // Deletes the token: requests bearing it are refused from now on.
  common::Status remove(const std::string& name);
  // Every token by name (never the token itself).
  common::Result<std::vector<ApiToken>> list();
  // The token `bearer` is, or nothing (malformed, unknown, removed); records its use at `nowMs`.
  // Units no longer in `config` are left out.
  common::Result<std::optional<ApiToken>> authenticate(const std::string& bearer,
                                                       const AgentConfig& config, int64_t nowMs);

 private:
  SQLite::Database& db_;
};

}  // namespace samband::agent
