// `samband-agent export`: writes every pending signed envelope of the outbox, exactly as stored
// and in seq order, to an offline file (common/offline_file.h) for the city to import when the
// network is gone. The rows stay in the outbox until the broker acknowledges them, so exporting
// changes nothing: when the link is back, the broker re-acknowledges what it imported.
#pragma once

#include <cstdint>
#include <string>

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

struct ExportSummary {
  std::string path;
  size_t envelopes = 0;
  uint64_t firstSeq = 0;  // 0 when nothing is pending
  uint64_t lastSeq = 0;
  size_t bytes = 0;
  std::string keyId;  // hex
};

// Reads the pending rows in one consistent snapshot (no identity needed, `run` may be running)
// and writes `outPath` atomically (a temporary file next to it, then rename) with mode 0600.
// An empty outbox writes a valid file with no envelopes. Errors: invalidInput when the outbox
// does not exist or the rows exceed the file's limits; unavailable when the file cannot be
// written.
common::Result<ExportSummary> exportOutbox(const AgentConfig& config, const std::string& outPath,
                                           int64_t wallNowMs);

}  // namespace samband::agent
