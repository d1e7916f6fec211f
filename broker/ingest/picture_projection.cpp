// See picture_projection.h.
#include "broker/ingest/picture_projection.h"

#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "common/vocabulary.h"

namespace samband::broker {

common::Status PictureProjection::apply(const VerifiedFrame& f, int64_t frameId) {
  const auto& m = f.message();
  const char* mode = common::modeName(m.mode);
  if (auto* s = std::get_if<common::UnitStatusMsg>(&m.payload)) {
    // Issue 16: a backlog carries many statuses of the same unit in one commit; only the newest
    // is written. Frames come in archive order, so the later one has the higher frame id.
    key_.assign(mode).append("/").append(s->unitCode);
    auto it = pendingStatus_.find(key_);
    if (it == pendingStatus_.end()) {
      pendingStatus_.emplace(key_, PendingStatus{&f, frameId});
    } else if (frameId > it->second.frameId) {
      it->second = PendingStatus{&f, frameId};
    }
    return {};
  }
  if (auto* c = std::get_if<common::CapacityMsg>(&m.payload)) {
    return archive_.replaceCapacity(mode, frameId, m.sentAt, *c);
  }
  if (auto* co = std::get_if<common::ContinuityMsg>(&m.payload)) {
    return archive_.upsertContinuity(mode, m.senderId, frameId, m.sentAt, *co);
  }
  if (auto* kr = std::get_if<common::KeyRotationMsg>(&m.payload)) {
    // Announced under the old key: the new key joins the same provider. The old key stays
    // valid until the operator revokes it, so a rotation never locks a provider out.
    return archive_.addRotatedKey(m.senderId, *kr, f.receivedAt());
  }
  if (auto* ra = std::get_if<common::ReadinessAnswerMsg>(&m.payload)) {
    return recordReadinessAnswer(store_, m.senderId, *ra, m.sentAt, f.receivedAt(), frameId);
  }
  if (auto* da = std::get_if<common::DirectiveAckMsg>(&m.payload)) {
    return recordDirectiveAck(store_, m.senderId, *da, f.receivedAt());
  }
  return {};
}

common::Status PictureProjection::flush() {
  for (const auto& [key, pending] : pendingStatus_) {
    const auto& m = pending.frame->message();
    const auto& s = std::get<common::UnitStatusMsg>(m.payload);
    if (auto r = archive_.upsertUnitStatus(common::modeName(m.mode), m.senderId, pending.frameId,
                                           m.sentAt, pending.frame->receivedAt(), s);
        !r) {
      return r;
    }
  }
  pendingStatus_.clear();
  return {};
}

}  // namespace samband::broker
