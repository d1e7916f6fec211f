// Ingress: the one gate untrusted uplink bytes pass, in order: size cap, decode with limits,
// enrolled key, signature over the exact bytes, key/transport/unit authorisation, sentAt within
// kMaxClockSkewMs of the broker's clock; a batch frame (issue 16) is verified once and then each
// of its reports passes the per-report steps. Only this gate constructs a VerifiedFrame. Sequence
// and chain rules follow in the Committer (they need the database). Stateless apart from the roster
// snapshot: safe to run on many threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "broker/ingest/roster_cache.h"
#include "broker/metrics/metrics.h"
#include "common/city_keyring.h"
#include "common/clock.h"
#include "common/messages.h"

namespace samband::broker {

// Step 9 of the gate: a frame whose sentAt is further than this from the broker's clock at
// receipt (either way) is refused as clock_skew. Wide enough for reports queued through weeks
// offline; a clock this far off is broken, and its reports must not enter the archive.
inline constexpr int64_t kMaxClockSkewMs = 30LL * 24 * 3600 * 1000;

// How a frame reached the broker. `network`: on a CURVE session, whose transport key (the ZAP
// User-Id) must belong to the signer (step 5). `file`: from an offline file (`samband-broker
// import`): there is no session, so the signature alone ties the frame to its sender; heartbeats
// are refused (liveness cannot travel on a USB stick) and the frame does not count as the
// provider being seen. `peer`: pulled from a peer broker of the same city (broker/replication):
// as for `file`, the signature alone ties the frame to its sender, heartbeats are refused and
// the provider is not seen; a peer can add nothing its sender did not sign. Every other step is
// the same.
enum class Channel { network, file, peer };

// One frame as read from the ROUTER socket (or from an offline file).
struct InboundFrame {
  std::string routingId;          // ZeroMQ routing id of the connection
  std::string transportProvider;  // ZAP User-Id: the provider whose CURVE key opened the session
  common::Bytes data;
  int64_t receivedAt = 0;
  Channel channel = Channel::network;
};

class VerifiedFrame {
 public:
  const common::Message& message() const { return message_; }
  const common::Bytes& body() const { return body_; }
  const common::Bytes& bodyHash() const { return bodyHash_; }
  const common::Bytes& envelope() const { return envelope_; }
  const std::string& keyIdHex() const { return keyIdHex_; }
  int64_t receivedAt() const { return receivedAt_; }
  Channel channel() const { return channel_; }
  // A report verified as part of a batch (issue 16): the batch frame exactly as sent (shared by
  // every report of it; the committer stores it once) and this report's index in it. Null for a
  // single envelope. A report of a batch has no envelope of its own: envelope() is empty (the
  // archive rebuilds one from the batch when a reader asks, broker/store/stored_envelopes.h).
  const std::shared_ptr<const common::Bytes>& batch() const { return batch_; }
  uint32_t batchIndex() const { return batchIndex_; }

 private:
  friend class Ingress;
  VerifiedFrame() = default;
  common::Message message_;
  common::Bytes body_;
  common::Bytes bodyHash_;
  common::Bytes envelope_;
  std::string keyIdHex_;
  int64_t receivedAt_ = 0;
  Channel channel_ = Channel::network;
  std::shared_ptr<const common::Bytes> batch_;
  uint32_t batchIndex_ = 0;
};

struct Refusal {
  common::RejectReason reason;
  std::string detail;
  // Known when the frame decoded far enough (steps 3 and later); used to report the head.
  std::string sender;
  std::string keyIdHex;
  uint64_t seq = 0;
};

using Admission = std::variant<VerifiedFrame, Refusal>;

class Ingress {
 public:
  // `metrics`, when given, receives the sampled verify timings (Metrics::verifySamples).
  Ingress(RosterCache& roster, const common::Clock& clock, Metrics* metrics = nullptr);
  // Checks one frame. Never throws; every refusal carries its reason.
  Admission admit(InboundFrame&& frame);
  // Peer channel only (broker/replication): a frame of the city's own chains (sender "city") is
  // admitted when `keys` accepts its signing key at the receive time (a certified, unrevoked
  // broker key of the city's root); without a keyring, such frames are refused as forbidden.
  // `keys` must outlive this object or be replaced; one thread (the puller's).
  void trustCityKeys(const common::CityKeyring* keys) { cityKeys_ = keys; }

  // Checks one batch frame (common::isBatchFrame): one decode, one signature check and one key
  // lookup for all its reports, then the per-report steps. Returns one Refusal for the whole
  // batch (oversized: over 48 KiB or 64 reports; malformed: undecodable, mixed senders or keys,
  // a heartbeat, a gap or broken prevHash link inside; unknown_sender, bad_signature,
  // key_mismatch, revoked), or one admission per report in order, each a VerifiedFrame or its
  // own Refusal (forbidden, unit_not_owned, clock_skew, personal_data). Never throws.
  std::vector<Admission> admitBatch(InboundFrame&& frame);

 private:
  // Steps 7-10 of the gate for a message whose signature held; `snap` may be refreshed.
  std::optional<Refusal> checkContent(const common::Message& m, const InboundFrame& in,
                                      std::shared_ptr<const RosterSnapshot>& snap);
  bool verify(const common::PublicKey& key, const common::Bytes& body,
              const common::Bytes& signature);

  RosterCache& roster_;
  const common::Clock& clock_;
  Metrics* metrics_;
  const common::CityKeyring* cityKeys_ = nullptr;
};

}  // namespace samband::broker
