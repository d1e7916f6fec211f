// See stored_envelopes.h. The batch frame is decoded with the same gate the broker used when it
// received it (common::decodeBatch); its signature is not checked here (the audit and inquiries
// do that), only its bodies are taken.
#include "broker/store/stored_envelopes.h"

#include <stdexcept>
#include <string>

#include "common/batch_envelope.h"

namespace samband::broker {

StoredEnvelopes::StoredEnvelopes(SQLite::Database& db) : db_(db) {}
StoredEnvelopes::~StoredEnvelopes() = default;

bool StoredEnvelopes::load(int64_t batchId) {
  if (batchId == cachedId_) return cachedOk_;
  cachedId_ = batchId;
  cachedOk_ = false;
  bodies_.clear();
  if (!batch_)
    batch_ = std::make_unique<SQLite::Statement>(db_, "SELECT frame FROM batches WHERE id=?");
  auto& q = *batch_;
  q.reset();
  q.bind(1, batchId);
  if (q.executeStep()) {
    const auto& c = q.getColumn(0);
    auto parts = common::decodeBatch(static_cast<const uint8_t*>(c.getBlob()),
                                     static_cast<size_t>(c.getBytes()));
    if (parts) {
      bodies_ = std::move(parts->bodies);
      cachedOk_ = true;
    }
  }
  q.reset();
  return cachedOk_;
}

bool StoredEnvelopes::memberEnvelope(int64_t batchId, int64_t index, common::Bytes& out) {
  out.clear();
  if (!load(batchId) || index < 0 || static_cast<size_t>(index) >= bodies_.size()) return false;
  out = common::batchMemberEnvelope(bodies_[static_cast<size_t>(index)]);
  return true;
}

bool StoredEnvelopes::tryRead(SQLite::Statement& q, int first, common::Bytes& out) {
  const auto& envelope = q.getColumn(first);
  const int n = envelope.getBytes();
  const auto& batchId = q.getColumn(first + 1);
  if (n > 0 || batchId.isNull()) {
    // Sent alone, or a batched report stored before migration 17 (body + zero signature).
    auto* p = static_cast<const uint8_t*>(envelope.getBlob());
    out.assign(p, p + n);
    return true;
  }
  return memberEnvelope(batchId.getInt64(), q.getColumn(first + 2).getInt64(), out);
}

void StoredEnvelopes::read(SQLite::Statement& q, int first, common::Bytes& out) {
  if (tryRead(q, first, out)) return;
  throw std::runtime_error("a frame points to report " +
                           std::to_string(q.getColumn(first + 2).getInt64()) + " of batch " +
                           std::to_string(q.getColumn(first + 1).getInt64()) +
                           ", which the archive does not hold: run `samband-broker audit`");
}

}  // namespace samband::broker
