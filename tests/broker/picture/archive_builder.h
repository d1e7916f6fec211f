// ArchiveBuilder: a broker database whose archive is written frame by frame as the broker would
// write it (signed envelopes, chains, the city's records and messages through CityChain, a
// checkpoint per commit), without sockets: for the tests of the past picture and the inquiry
// export, and for the as-of benchmark (bench/asof_bench.cpp). Header-only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/city/checkpointer.h"
#include "broker/city/city_chain.h"
#include "broker/store/archive_store.h"
#include "broker/store/store.h"
#include "broker/store/write_transaction.h"
#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/signing.h"
#include "common/vocabulary.h"

namespace samband::broker::testing {

class ArchiveBuilder {
 public:
  // A new database at `path`; the archive's clock starts at `startMs`.
  ArchiveBuilder(const std::string& path, int64_t startMs)
      : city_(common::Identity::generate(common::kCitySenderId)), nowMs_(startMs) {
    auto store = Store::open(path, Store::Access::readWrite);
    if (!store) throw std::runtime_error(store.error().message);
    store_ = std::move(store).value();
    archive_ = std::make_unique<ArchiveStore>(*store_);
    if (!CityChain(*store_, *city_).publishKey()) throw std::runtime_error("publishKey");
  }

  Store& store() { return *store_; }
  const common::Identity& city() const { return *city_; }
  int64_t now() const { return nowMs_; }
  void advance(int64_t ms) { nowMs_ += ms; }

  // Enrols a provider with `units` (a city-signed record, as `samband-broker enroll` makes it).
  void enrol(const std::string& provider, const std::vector<std::string>& units) {
    auto id = common::Identity::generate(provider);
    common::EnrolmentMsg e;
    e.action = common::EnrolmentAction::ENROL;
    e.provider = provider;
    e.keyId = id->keyId();
    e.signPublic.assign(id->signPublic().begin(), id->signPublic().end());
    e.curvePublic.assign(id->curvePublic().begin(), id->curvePublic().end());
    e.units = units;
    e.effectiveAt = nowMs_;
    cityDo([&](CityChain& chain) { return chain.record(e, nowMs_).ok(); });
    providers_[provider] = Sender{std::move(id), 0, {}};
  }

  // A city message (check, directive) as issued by the CLI: archived, checkpointed.
  void city(const common::Payload& payload, common::Mode mode = common::Mode::ACTUAL) {
    cityDo([&](CityChain& chain) {
      return chain.issue(payload, mode, nowMs_, {}, "test", "test").ok();
    });
  }

  // Appends `payload` from `provider` (received now) to the current commit.
  void report(const std::string& provider, const common::Payload& payload,
              common::Mode mode = common::Mode::ACTUAL, int64_t sentSkewMs = 0) {
    begin();
    Sender& s = providers_.at(provider);
    common::Message m;
    m.senderId = provider;
    m.keyId = s.id->keyId();
    m.seq = s.seq + 1;
    m.prevHash = s.prevHash;
    m.sentAt = nowMs_ + sentSkewMs;
    m.mode = mode;
    m.payload = payload;
    common::SealedFrame f = common::seal(*s.id, m);
    const std::string keyId = common::toHex(m.keyId);
    auto id = archive_->appendFrame(
        NewFrame{provider, keyId, m.seq, common::payloadKindName(m.payload), common::modeName(mode),
                 m.sentAt, nowMs_, f.bodyHash, f.envelope});
    if (!id) throw std::runtime_error(id.error().message);
    s.seq = m.seq;
    s.prevHash = f.bodyHash;
  }

  // Appends `payloads` from `provider` (received now) as one signed batch (issue 16), stored as
  // the committer stores it: the batch frame as sent, and each report a frame of its own (its
  // body and a batch-member signature) linked to its index in the batch.
  void reportBatch(const std::string& provider, const std::vector<common::Payload>& payloads,
                   common::Mode mode = common::Mode::ACTUAL) {
    begin();
    Sender& s = providers_.at(provider);
    const std::string keyId = common::toHex(s.id->keyId());
    std::vector<common::Message> messages;
    std::vector<common::Bytes> bodies;
    for (const auto& payload : payloads) {
      common::Message m;
      m.senderId = provider;
      m.keyId = s.id->keyId();
      m.seq = s.seq + 1;
      m.prevHash = s.prevHash;
      m.sentAt = nowMs_;
      m.mode = mode;
      m.payload = payload;
      bodies.push_back(common::encodeBody(m));
      s.seq = m.seq;
      s.prevHash = common::hash256(bodies.back());
      messages.push_back(std::move(m));
    }
    auto batchId = archive_->appendBatch(
        provider, keyId, nowMs_, common::encodeBatch(bodies, common::signBatch(*s.id, bodies)));
    if (!batchId) throw std::runtime_error(batchId.error().message);
    for (size_t i = 0; i < bodies.size(); i++) {
      const common::Message& m = messages[i];
      // As the committer stores it (migration 17): no body of its own, a link into the batch.
      static const common::Bytes kNoEnvelope;
      auto id = archive_->appendFrame(
          NewFrame{provider, keyId, m.seq, common::payloadKindName(m.payload),
                   common::modeName(mode), m.sentAt, nowMs_, common::hash256(bodies[i]),
                   kNoEnvelope, *batchId, static_cast<uint32_t>(i)});
      if (!id) throw std::runtime_error(id.error().message);
    }
  }

  // Ends the current commit with a checkpoint, as the committer does.
  void commit() {
    if (!tx_) return;
    auto sealed = Checkpointer(*store_, *city_).seal(nowMs_);
    if (!sealed) throw std::runtime_error(sealed.error().message);
    if (!tx_->commit()) throw std::runtime_error("commit");
    tx_.reset();
  }

  // A checkpoint over the frames so far, inside the current commit: what a broker that commits
  // every report on its own writes (one checkpoint per report at a city's usual pace), without
  // a transaction and an fsync each.
  void checkpoint() {
    if (!tx_) return;
    auto sealed = Checkpointer(*store_, *city_).seal(nowMs_);
    if (!sealed) throw std::runtime_error(sealed.error().message);
  }

  static common::UnitStatusMsg status(const std::string& unit, common::OperationalState state,
                                      int32_t present) {
    common::UnitStatusMsg s;
    s.unitCode = unit;
    s.operational = state;
    s.pupilsPresent = present;
    s.pupilsEnrolled = 300;
    s.staffAvailable = present / 10;
    s.note = state == common::OperationalState::NORMAL ? "" : "Läget enligt rektor";
    return s;
  }

 private:
  struct Sender {
    std::unique_ptr<common::Identity> id;
    uint64_t seq = 0;
    common::Bytes prevHash;
  };
  void begin() {
    if (tx_) return;
    auto tx = WriteTransaction::begin(*store_);
    if (!tx) throw std::runtime_error(tx.error().message);
    tx_.emplace(std::move(tx).value());
  }
  template <typename F>
  void cityDo(F issue) {
    commit();
    begin();
    CityChain chain(*store_, *city_);
    if (!issue(chain)) throw std::runtime_error("city message not issued");
    if (!tx_->commit()) throw std::runtime_error("commit");
    tx_.reset();
  }

  std::unique_ptr<common::Identity> city_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ArchiveStore> archive_;
  std::optional<WriteTransaction> tx_;
  std::map<std::string, Sender> providers_;
  int64_t nowMs_;
};

}  // namespace samband::broker::testing
