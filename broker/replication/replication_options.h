// ReplicationOptions: the [replication] table of broker.toml (docs/replication.md): where this
// broker serves its archive to its peers, which peer brokers it pulls from, and when it
// acknowledges an agent's frame.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace samband::broker {

// One peer broker: its replication endpoint and its transport (CURVE) public key, the
// `curve_public` of the peer's city.pub. The endpoint is also the peer's name in status.
struct ReplicationPeer {
  std::string endpoint;
  std::array<uint8_t, 32> curvePublic{};
};

enum class AckMode {
  local,  // acknowledge on this broker's own commit
  peer,   // acknowledge once a peer has committed the frame too (or after peer_timeout_s)
};

struct ReplicationOptions {
  // Where the peers pull from (CURVE, only the peers' keys admitted). Empty: no replication.
  std::string listen;
  std::vector<ReplicationPeer> peers;
  AckMode ack = AckMode::local;
  int64_t peerTimeoutMs = 10'000;
  // This broker's role for the daily readiness check: the standby issues a check only when it
  // has not seen one from any city key by the due time plus standbyGraceMs.
  bool standby = false;
  int64_t standbyGraceMs = 10 * 60'000;
  // Pull tuning: frames per answer, and how long a peer holds a pull that has nothing new.
  size_t pullBatch = 512;
  int64_t pullWaitMs = 1000;

  bool enabled() const { return !listen.empty() || !peers.empty(); }
};

}  // namespace samband::broker
