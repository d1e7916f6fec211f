// CityKeys: the agent's view of the city key hierarchy: the pinned root ([broker]
// city_sign_public, from root.pub or a single-key installation's city.pub) plus the root-signed
// certificates and revocations it has learned (from the --city-keys file at init and from the
// brokers, ahead of heartbeat replies), kept in city-keys.txt beside the outbox so a revocation
// is never forgotten. Owned by the session, on its thread.
#pragma once

#include <memory>
#include <string>

#include "agent/agent_config.h"
#include "common/city_keyring.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

class CityKeys {
 public:
  // The file learned statements are kept in: city-keys.txt in the outbox's directory.
  static std::string pathFor(const std::string& outboxPath);

  // The keyring of `root` with every statement in `path` that the root signed (a missing file:
  // none; a line another root signed is skipped and logged). Errors: unavailable (unreadable).
  static common::Result<std::unique_ptr<CityKeys>> open(const common::PublicKey& root,
                                                        std::string path);

  const common::CityKeyring& keyring() const { return keyring_; }

  // Believes `statement` when the pinned root signed it, and keeps it in the file when it is new.
  // Returns true when new. Errors: unauthorised (another root, forged), invalidInput
  // (malformed), unavailable (the file cannot be written; the keyring holds it anyway).
  common::Result<bool> learn(const common::CityKeyMsg& statement);

  // Writes `statements` to `path` (init: the certificates of the --city-keys file).
  static common::Status save(const std::string& path,
                             const std::vector<common::SignedCityKey>& statements);

 private:
  CityKeys(const common::PublicKey& root, std::string path)
      : keyring_(root), path_(std::move(path)) {}
  common::CityKeyring keyring_;
  std::string path_;
};

}  // namespace samband::agent
