// See archive_store.h. The hot statements (frame insert, head and body lookups, unit status) are
// prepared once and bind text without copying: every bound value outlives the exec() right after
// it.
#include "broker/store/archive_store.h"

#include "broker/store/columns.h"
#include "broker/store/stored_envelopes.h"

#include "common/bytes.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::broker {

using common::Bytes;

namespace {

constexpr const char* kInsertFrame =
    "INSERT INTO frames(sender, key_id, seq, kind, mode, sent_at, received_at, body_hash, "
    "envelope, batch_id, batch_idx) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* kFindFrame =
    "SELECT body_hash FROM frames WHERE sender=? AND key_id=? AND seq=?";
constexpr const char* kFindHead =
    "SELECT seq, body_hash FROM frames WHERE sender=? AND key_id=? ORDER BY seq DESC LIMIT 1";
constexpr const char* kUpsertStatus =
    "INSERT INTO unit_status(mode, code, provider_id, frame_id, sent_at, received_at, "
    "operational, reason, expected_reopen, pupils_enrolled, pupils_present, staff_total, "
    "staff_available, critical_care, special_support, electricity, backup_hours, heating, "
    "water, food, it, telephony, food_days, note, valid_until, closed_until) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(mode, code) DO UPDATE SET provider_id=excluded.provider_id, "
    "frame_id=excluded.frame_id, sent_at=excluded.sent_at, received_at=excluded.received_at, "
    "operational=excluded.operational, reason=excluded.reason, "
    "expected_reopen=excluded.expected_reopen, pupils_enrolled=excluded.pupils_enrolled, "
    "pupils_present=excluded.pupils_present, staff_total=excluded.staff_total, "
    "staff_available=excluded.staff_available, critical_care=excluded.critical_care, "
    "special_support=excluded.special_support, electricity=excluded.electricity, "
    "backup_hours=excluded.backup_hours, heating=excluded.heating, water=excluded.water, "
    "food=excluded.food, it=excluded.it, telephony=excluded.telephony, "
    "food_days=excluded.food_days, note=excluded.note, valid_until=excluded.valid_until, "
    "closed_until=excluded.closed_until "
    "WHERE excluded.frame_id > unit_status.frame_id";

}  // namespace

ArchiveStore::ArchiveStore(Store& store) : store_(store) {}
ArchiveStore::~ArchiveStore() = default;

SQLite::Statement& ArchiveStore::prepared(std::unique_ptr<SQLite::Statement>& slot,
                                          const char* sql) {
  if (!slot) slot = std::make_unique<SQLite::Statement>(store_.db(), sql);
  slot->reset();
  return *slot;
}

common::Status ArchiveStore::setCacheKiB(int kib) {
  try {
    store_.db().exec("PRAGMA cache_size=" + std::to_string(-kib));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<ChainHead> ArchiveStore::head(const std::string& sender, const std::string& keyId) {
  try {
    auto& q = prepared(findHead_, kFindHead);
    q.bind(1, sender);
    q.bind(2, keyId);
    ChainHead h;
    if (q.executeStep()) {
      h.seq = static_cast<uint64_t>(q.getColumn(0).getInt64());
      h.hash = columns::blob(q.getColumn(1));
    }
    q.reset();
    return h;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<Bytes>> ArchiveStore::bodyHashAt(const std::string& sender,
                                                              const std::string& keyId,
                                                              uint64_t seq) {
  try {
    auto& q = prepared(findFrame_, kFindFrame);
    q.bind(1, sender);
    q.bind(2, keyId);
    q.bind(3, static_cast<int64_t>(seq));
    std::optional<Bytes> out;
    if (q.executeStep()) out = columns::blob(q.getColumn(0));
    q.reset();
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<int64_t> ArchiveStore::appendFrame(const NewFrame& f) {
  try {
    auto& q = prepared(insertFrame_, kInsertFrame);
    q.bindNoCopy(1, f.sender);
    q.bindNoCopy(2, f.keyId);
    q.bind(3, static_cast<int64_t>(f.seq));
    q.bindNoCopy(4, f.kind);
    q.bindNoCopy(5, f.mode);
    q.bind(6, f.sentAt);
    q.bind(7, f.receivedAt);
    q.bindNoCopy(8, f.bodyHash.data(), static_cast<int>(f.bodyHash.size()));
    // A zero-length blob, never NULL: the column stays NOT NULL (bindNoCopy of an empty
    // vector's null data() would bind NULL).
    static const uint8_t kNoBytes = 0;
    q.bindNoCopy(9, f.envelope.empty() ? &kNoBytes : f.envelope.data(),
                 static_cast<int>(f.envelope.size()));
    if (f.batchId != 0) {
      q.bind(10, f.batchId);
      q.bind(11, static_cast<int64_t>(f.batchIndex));
    } else {
      q.bind(10);
      q.bind(11);
    }
    q.exec();
    return store_.db().getLastInsertRowid();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<int64_t> ArchiveStore::appendBatch(const std::string& sender,
                                                  const std::string& keyId, int64_t receivedAt,
                                                  const common::Bytes& frame) {
  try {
    auto& q = prepared(insertBatch_,
                       "INSERT INTO batches (sender, key_id, received_at, frame) VALUES (?,?,?,?)");
    q.bindNoCopy(1, sender);
    q.bindNoCopy(2, keyId);
    q.bind(3, receivedAt);
    q.bindNoCopy(4, frame.data(), static_cast<int>(frame.size()));
    q.exec();
    return store_.db().getLastInsertRowid();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<FrameBatch>> ArchiveStore::batchOf(int64_t frameId, bool withFrame) {
  try {
    auto& q =
        prepared(findBatchLink_,
                 "SELECT batch_id, batch_idx FROM frames WHERE id=? AND batch_id IS NOT NULL");
    q.reset();
    q.bind(1, frameId);
    if (!q.executeStep()) return std::optional<FrameBatch>();
    FrameBatch b;
    b.batchId = q.getColumn(0).getInt64();
    b.index = static_cast<uint32_t>(q.getColumn(1).getInt64());
    q.reset();
    if (withFrame) {
      auto frame = batchFrame(b.batchId);
      if (!frame) return frame.error();
      b.frame = std::move(frame).value();
    }
    return std::optional<FrameBatch>(std::move(b));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<common::Bytes> ArchiveStore::batchFrame(int64_t batchId) {
  try {
    SQLite::Statement q(store_.db(), "SELECT frame FROM batches WHERE id=?");
    q.bind(1, batchId);
    if (!q.executeStep()) {
      return common::unavailable("batch " + std::to_string(batchId) + " is not in the archive");
    }
    return columns::blob(q.getColumn(0));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status ArchiveStore::forEachFrame(const std::function<void(const ArchivedFrame&)>& visit) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT f.sender, f.key_id, f.seq, f.body_hash, k.sign_public, "
                        "f.envelope, f.batch_id, f.batch_idx "
                        "FROM frames f LEFT JOIN keys k ON k.key_id=f.key_id "
                        "ORDER BY f.sender, f.key_id, f.seq");
    StoredEnvelopes envelopes(store_.db());
    ArchivedFrame row;
    while (q.executeStep()) {
      row.sender = q.getColumn(0).getString();
      row.keyId = q.getColumn(1).getString();
      row.seq = static_cast<uint64_t>(q.getColumn(2).getInt64());
      row.bodyHash = columns::blob(q.getColumn(3));
      row.signPublic.reset();
      if (!q.getColumn(4).isNull()) row.signPublic = columns::blob(q.getColumn(4));
      envelopes.read(q, 5, row.envelope);
      visit(row);
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<HeartbeatMark> ArchiveStore::lastHeartbeat(const std::string& keyId) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT last_heartbeat_sent_at, last_heartbeat_counter FROM keys "
                        "WHERE key_id=?");
    q.bind(1, keyId);
    HeartbeatMark last;
    if (q.executeStep()) {
      last.sentAt = q.getColumn(0).getInt64();
      last.counter = static_cast<uint64_t>(q.getColumn(1).getInt64());
    }
    return last;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status ArchiveStore::setLastHeartbeats(
    const std::unordered_map<std::string, HeartbeatMark>& byKey) {
  if (byKey.empty()) return {};
  try {
    SQLite::Statement q(store_.db(),
                        "UPDATE keys SET last_heartbeat_sent_at=?, last_heartbeat_counter=? "
                        "WHERE key_id=?");
    for (const auto& [key, mark] : byKey) {
      q.reset();
      q.bind(1, mark.sentAt);
      // SQLite integers are signed: a counter above INT64_MAX is stored as its two's complement
      // and read back the same way, so comparisons happen in uint64_t, never in SQL.
      q.bind(2, static_cast<int64_t>(mark.counter));
      q.bind(3, key);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::setClockOffsets(
    const std::unordered_map<std::string, ClockOffset>& byProvider) {
  if (byProvider.empty()) return {};
  try {
    SQLite::Statement q(store_.db(),
                        "UPDATE providers SET clock_offset_ms=?, clock_offset_at=? WHERE id=?");
    for (const auto& [provider, offset] : byProvider) {
      q.reset();
      q.bind(1, offset.offsetMs);
      q.bind(2, offset.measuredAt);
      q.bind(3, provider);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::noteLastSeen(
    const std::unordered_map<std::string, int64_t>& byProvider) {
  if (byProvider.empty()) return {};
  try {
    SQLite::Statement q(store_.db(),
                        "UPDATE providers SET last_seen=max(coalesce(last_seen,0), ?) WHERE id=?");
    for (const auto& [provider, at] : byProvider) {
      q.reset();
      q.bind(1, at);
      q.bind(2, provider);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::addRejections(
    const std::unordered_map<std::string, int64_t>& byReason) {
  if (byReason.empty()) return {};
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT INTO rejections(reason, count) VALUES(?,?) "
                        "ON CONFLICT(reason) DO UPDATE SET count=count+excluded.count");
    for (const auto& [reason, n] : byReason) {
      q.reset();
      q.bind(1, reason);
      q.bind(2, n);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::upsertUnitStatus(const char* mode, const std::string& provider,
                                              int64_t frameId, int64_t sentAt, int64_t receivedAt,
                                              const common::UnitStatusMsg& s) {
  try {
    auto& q = prepared(upsertStatus_, kUpsertStatus);
    int i = 1;
    q.bindNoCopy(i++, mode);
    q.bindNoCopy(i++, s.unitCode);
    q.bindNoCopy(i++, provider);
    q.bind(i++, frameId);
    q.bind(i++, sentAt);
    q.bind(i++, receivedAt);
    q.bindNoCopy(i++, common::operationalName(s.operational));
    q.bindNoCopy(i++, s.reason);
    q.bind(i++, s.expectedReopen);
    q.bind(i++, s.pupilsEnrolled);
    q.bind(i++, s.pupilsPresent);
    q.bind(i++, s.staffTotal);
    q.bind(i++, s.staffAvailable);
    q.bindNoCopy(i++, common::offeredName(s.criticalCare));
    q.bindNoCopy(i++, common::offeredName(s.specialSupport));
    q.bindNoCopy(i++, common::electricityName(s.electricity));
    q.bind(i++, s.backupHours);
    q.bindNoCopy(i++, common::supplyName(s.heating));
    q.bindNoCopy(i++, common::supplyName(s.water));
    q.bindNoCopy(i++, common::supplyName(s.food));
    q.bindNoCopy(i++, common::supplyName(s.it));
    q.bindNoCopy(i++, common::supplyName(s.telephony));
    q.bind(i++, s.foodDays);
    q.bindNoCopy(i++, s.note);
    q.bind(i++, s.validUntil);
    q.bindNoCopy(i++, s.closedUntil);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::replaceCapacity(const char* mode, int64_t frameId, int64_t sentAt,
                                             const common::CapacityMsg& c) {
  try {
    auto& db = store_.db();
    SQLite::Statement newer(db, "SELECT frame_id FROM capacity_reports WHERE mode=? AND code=?");
    newer.bind(1, mode);
    newer.bind(2, c.unitCode);
    if (newer.executeStep() && newer.getColumn(0).getInt64() > frameId) return {};
    SQLite::Statement del(db, "DELETE FROM capacity WHERE mode=? AND code=?");
    del.bind(1, mode);
    del.bind(2, c.unitCode);
    del.exec();
    SQLite::Statement ins(db,
                          "INSERT OR REPLACE INTO capacity(mode, code, form, year, enrolled, "
                          "seats_now, seats_72h, sent_at, frame_id) VALUES(?,?,?,?,?,?,?,?,?)");
    for (const auto& e : c.entries) {
      ins.reset();
      ins.bind(1, mode);
      ins.bind(2, c.unitCode);
      ins.bind(3, common::schoolFormName(e.form));
      ins.bind(4, static_cast<int>(e.year));
      ins.bind(5, e.enrolled);
      ins.bind(6, e.seatsNow);
      ins.bind(7, e.seats72h);
      ins.bind(8, sentAt);
      ins.bind(9, frameId);
      ins.exec();
    }
    SQLite::Statement rep(db,
                          "INSERT INTO capacity_reports(mode, code, sent_at, frame_id) "
                          "VALUES(?,?,?,?) ON CONFLICT(mode, code) DO UPDATE SET "
                          "sent_at=excluded.sent_at, frame_id=excluded.frame_id");
    rep.bind(1, mode);
    rep.bind(2, c.unitCode);
    rep.bind(3, sentAt);
    rep.bind(4, frameId);
    rep.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::upsertContinuity(const char* mode, const std::string& provider,
                                              int64_t frameId, int64_t sentAt,
                                              const common::ContinuityMsg& co) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT INTO continuity(mode, provider_id, state, from_date, note, "
                        "sent_at, frame_id) VALUES(?,?,?,?,?,?,?) "
                        "ON CONFLICT(mode, provider_id) DO UPDATE SET state=excluded.state, "
                        "from_date=excluded.from_date, note=excluded.note, "
                        "sent_at=excluded.sent_at, frame_id=excluded.frame_id "
                        "WHERE excluded.frame_id > continuity.frame_id");
    q.bind(1, mode);
    q.bind(2, provider);
    q.bind(3, common::continuityName(co.state));
    q.bind(4, co.fromDate);
    q.bind(5, co.note);
    q.bind(6, sentAt);
    q.bind(7, frameId);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ArchiveStore::addRotatedKey(const std::string& provider,
                                           const common::KeyRotationMsg& kr, int64_t receivedAt) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT OR IGNORE INTO keys(key_id, provider_id, sign_public, "
                        "curve_public, enrolled_at) VALUES(?,?,?,?,?)");
    q.bind(1, common::toHex(kr.newKeyId));
    q.bind(2, provider);
    q.bind(3, kr.newSignPublic.data(), 32);
    q.bind(4, kr.newCurvePublic.data(), 32);
    q.bind(5, receivedAt);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

void ArchiveStore::clearStatementErrors() {
  for (auto* s : {insertFrame_.get(), findFrame_.get(), findHead_.get(), upsertStatus_.get(),
                  insertBatch_.get(), findBatchLink_.get()}) {
    if (s != nullptr) s->tryReset();
  }
}

}  // namespace samband::broker
