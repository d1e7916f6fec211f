// `samband-broker city-key ...`: the city's offline root key and the brokers' operational keys it
// certifies (issue 15; docs/operations.md "City keys", docs/decisions/0008-city-key-hierarchy.md).
// The root's secret is only ever read by `init`, `certify` and `revoke`, run where the root is
// kept (offline); `add` and `list` need only a broker's config.
#pragma once

#include <string>
#include <vector>

namespace samband::broker {

// Writes DIR/root.identity (0600) and DIR/root.pub. Never overwrites.
int runCityKeyInit(const std::string& outDir);

struct CityKeyCertifyOptions {
  std::string root;    // root.identity (or a single-key installation's city.identity)
  std::string key;     // the broker's city.pub; empty: the identity --config names
  std::string label;   // the broker's name, e.g. "primary"
  std::string out;     // certificate file to write (may be empty when config is set)
  std::string config;  // broker.toml: archive the certificate in that broker's city chain
};
int runCityKeyCertify(const CityKeyCertifyOptions& o);

struct CityKeyRevokeOptions {
  std::string root;
  std::string keyId;  // hex, as `city-key list` prints it
  std::string label;
  std::string from = "now";  // a moment (parseMoment) or "now"
  std::string out;
  std::string config;
};
int runCityKeyRevoke(const CityKeyRevokeOptions& o);

// Archives the certificates and revocations in `files` in the broker's city chain, after
// checking each against the root (`rootPub`, or the root recorded by an earlier add/certify).
int runCityKeyAdd(const std::string& configPath, const std::string& rootPub,
                  const std::vector<std::string>& files);

// Every city key the archive proves from the root: root, certified, revoked, and which one this
// broker signs with. `rootPub` may be empty: the root recorded in the database is used, and said.
int runCityKeyList(const std::string& configPath, const std::string& rootPub, bool json);

// A new broker identity that keeps the transport (CURVE) key of `transportFrom`, so agents that
// pin that transport key reach it unchanged: a rotated key or a standby's key.
int runCityKeyNew(const std::string& out, const std::string& transportFrom);

}  // namespace samband::broker
