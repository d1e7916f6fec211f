// `samband-agent init`: creates a self-contained agent directory — a new identity (0600), an
// agent.toml with the city's keys pinned inline, the signed enrollment request for the city, and
// the outbox. Everything is checked before the first file is written; nothing is overwritten.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace samband::agent {

struct InitRequest {
  std::string dir;
  // Where agent.toml goes; empty: DIR/agent.toml. Elsewhere (the packaged layout,
  // /etc/samband/agent.toml), it names the files in `dir` by absolute paths.
  std::string configPath;
  std::string provider;
  std::string name;
  std::string broker;  // endpoint, e.g. tcp://samband.stockholm.se:7700
  // --broker, repeated: every broker of the city in order of preference, each ENDPOINT or
  // ENDPOINT=CURVEKEY (that broker's own transport key). When set, `broker` is not used.
  std::vector<std::string> brokers;
  // The city's root.pub, optionally with certificate and revocation lines appended
  // (common::loadCityKeysFile), or a single-key installation's city.pub.
  std::string cityKeysPath;
  std::vector<std::string> units;
  // Who to call at the provider (written as [agent] duty_contact; the readiness self-test
  // duty_contact passes when it is set; the contact itself is never sent). Empty: not set.
  std::string dutyContact;
};

struct InitResult {
  std::string configPath;
  std::string identityPath;
  std::string requestPath;
  std::string outboxPath;
  std::string keyId;  // hex, for the phone call with the city
};

// Errors: invalidInput for bad values or existing files (with what to do), unavailable for I/O.
common::Result<InitResult> initAgentDirectory(const InitRequest& request, int64_t nowMs);

}  // namespace samband::agent
