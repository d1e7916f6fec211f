// See picture_store.h.
#include "broker/store/picture_store.h"

#include "broker/store/capacity_store.h"
#include "broker/store/columns.h"
#include "broker/store/stored_envelopes.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <climits>
#include <unordered_map>

namespace samband::broker {

using common::Result;
using common::Status;

namespace {

int64_t count(SQLite::Statement& q) {
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace

Result<std::vector<ProviderRow>> PictureStore::providerNames() {
  std::vector<ProviderRow> out;
  try {
    SQLite::Statement q(store_.db(), "SELECT id, name, last_seen FROM providers ORDER BY id");
    while (q.executeStep()) {
      ProviderRow p;
      p.id = q.getColumn(0).getString();
      p.name = q.getColumn(1).getString();
      p.lastSeen = columns::optionalInt(q.getColumn(2));
      out.push_back(std::move(p));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<std::vector<ProviderRow>> PictureStore::providers() {
  std::vector<ProviderRow> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT p.id, p.name, p.last_seen, "
                        "(SELECT max(seq) FROM frames f WHERE f.sender=p.id), "
                        "c.state, c.from_date, c.note, p.clock_offset_ms "
                        "FROM providers p LEFT JOIN continuity c "
                        "ON c.provider_id=p.id AND c.mode='actual' ORDER BY p.id");
    while (q.executeStep()) {
      ProviderRow p;
      p.id = q.getColumn(0).getString();
      p.name = q.getColumn(1).getString();
      p.lastSeen = columns::optionalInt(q.getColumn(2));
      p.lastSeq = columns::optionalInt(q.getColumn(3)).value_or(0);
      p.continuity = columns::optionalText(q.getColumn(4));
      p.continuityFrom = columns::optionalInt(q.getColumn(5)).value_or(0);
      p.clockOffsetMs = columns::optionalInt(q.getColumn(7));
      out.push_back(std::move(p));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

namespace {

constexpr const char* kUnitColumns =
    "SELECT u.code, u.provider_id, u.name, u.district, s.operational, s.pupils_present, "
    "s.pupils_enrolled, s.staff_available, s.staff_total, s.electricity, s.backup_hours, "
    "s.heating, s.water, s.food, s.it, s.telephony, s.food_days, s.critical_care, "
    "s.special_support, s.reason, s.note, s.sent_at, s.received_at, s.expected_reopen, "
    "s.valid_until, u.school_forms, s.closed_until, s.frame_id FROM units u LEFT JOIN unit_status "
    "s ON s.code=u.code AND s.mode='actual' ";

UnitPictureRow unitRow(SQLite::Statement& q) {
  UnitPictureRow u;
  u.code = q.getColumn(0).getString();
  u.providerId = q.getColumn(1).getString();
  u.name = columns::optionalText(q.getColumn(2));
  u.district = columns::optionalText(q.getColumn(3));
  u.schoolForms = columns::optionalText(q.getColumn(25)).value_or("");
  if (!q.getColumn(4).isNull()) {
    UnitStatusRow s;
    s.operational = q.getColumn(4).getString();
    s.pupilsPresent = q.getColumn(5).getInt64();
    s.pupilsEnrolled = q.getColumn(6).getInt64();
    s.staffAvailable = q.getColumn(7).getInt64();
    s.staffTotal = q.getColumn(8).getInt64();
    s.electricity = q.getColumn(9).getString();
    s.backupHours = q.getColumn(10).getInt64();
    s.heating = q.getColumn(11).getString();
    s.water = q.getColumn(12).getString();
    s.food = q.getColumn(13).getString();
    s.it = q.getColumn(14).getString();
    s.telephony = q.getColumn(15).getString();
    s.foodDays = q.getColumn(16).getInt64();
    s.criticalCare = q.getColumn(17).getString();
    s.specialSupport = q.getColumn(18).getString();
    s.reason = q.getColumn(19).getString();
    s.note = q.getColumn(20).getString();
    s.sentAt = q.getColumn(21).getInt64();
    s.receivedAt = q.getColumn(22).getInt64();
    s.expectedReopen = q.getColumn(23).getInt64();
    s.validUntil = q.getColumn(24).getInt64();
    s.closedUntil = q.getColumn(26).getString();
    s.frameId = q.getColumn(27).getInt64();
    u.status = std::move(s);
  }
  return u;
}

}  // namespace

Result<std::vector<UnitPictureRow>> PictureStore::units() {
  std::vector<UnitPictureRow> out;
  try {
    SQLite::Statement q(store_.db(), std::string(kUnitColumns) + "ORDER BY u.code");
    while (q.executeStep()) out.push_back(unitRow(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<std::vector<UnitPictureRow>> PictureStore::unitsByCode(
    const std::vector<std::string>& codes) {
  std::vector<UnitPictureRow> out;
  out.reserve(codes.size());
  try {
    SQLite::Statement q(store_.db(), std::string(kUnitColumns) + "WHERE u.code=?");
    for (const auto& code : codes) {
      q.bind(1, code);
      if (q.executeStep()) out.push_back(unitRow(q));
      q.reset();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Status PictureStore::forEachUnitKey(const std::function<void(const UnitKeyView&)>& visit) {
  // Two passes straight through the tables (NOT INDEXED: no seek per unit, which is what a
  // join in code order costs: an index and a table lookup in each table for every unit), then
  // the units sorted by code. Both statements see one state only inside a read transaction.
  struct Key {
    std::string code, providerId, schoolForms;
    std::optional<std::string> name, district;
    int64_t frameId = 0;
  };
  std::vector<Key> keys;
  try {
    std::unordered_map<std::string, int64_t> frames;
    SQLite::Statement status(store_.db(),
                             "SELECT code, frame_id FROM unit_status NOT INDEXED "
                             "WHERE mode='actual'");
    while (status.executeStep()) {
      frames.emplace(status.getColumn(0).getString(), status.getColumn(1).getInt64());
    }
    SQLite::Statement units(store_.db(),
                            "SELECT code, provider_id, name, district, school_forms FROM units "
                            "NOT INDEXED");
    while (units.executeStep()) {
      Key k;
      k.code = units.getColumn(0).getString();
      k.providerId = units.getColumn(1).getString();
      k.name = columns::optionalText(units.getColumn(2));
      k.district = columns::optionalText(units.getColumn(3));
      k.schoolForms = columns::optionalText(units.getColumn(4)).value_or("");
      auto f = frames.find(k.code);
      if (f != frames.end()) k.frameId = f->second;
      keys.push_back(std::move(k));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  std::sort(keys.begin(), keys.end(),
            [](const Key& a, const Key& b) { return a.code < b.code; });  // units()'s order
  UnitKeyView view;
  for (const auto& k : keys) {
    view.code = k.code;
    view.providerId = k.providerId;
    view.name.reset();
    if (k.name) view.name = *k.name;
    view.district.reset();
    if (k.district) view.district = *k.district;
    view.schoolForms = k.schoolForms;
    view.frameId = k.frameId;
    visit(view);
  }
  return {};
}

Result<std::vector<OtherModeRow>> PictureStore::otherModes() {
  std::vector<OtherModeRow> out;
  try {
    SQLite::Statement q(
        store_.db(),
        "SELECT s.mode, s.code, u.name, s.provider_id, pr.name, u.district, s.operational, "
        "s.reason, s.pupils_present, s.pupils_enrolled, s.staff_available, s.staff_total, s.note, "
        "s.sent_at FROM unit_status s LEFT JOIN units u ON u.code=s.code LEFT JOIN providers pr "
        "ON pr.id=s.provider_id WHERE s.mode<>'actual' ORDER BY s.mode, s.code");
    while (q.executeStep()) {
      OtherModeRow r;
      r.mode = q.getColumn(0).getString();
      r.code = q.getColumn(1).getString();
      r.unitName = columns::optionalText(q.getColumn(2));
      r.providerId = q.getColumn(3).getString();
      r.providerName = columns::optionalText(q.getColumn(4)).value_or("");
      r.district = columns::optionalText(q.getColumn(5));
      r.status.operational = q.getColumn(6).getString();
      r.status.reason = q.getColumn(7).getString();
      r.status.pupilsPresent = q.getColumn(8).getInt64();
      r.status.pupilsEnrolled = q.getColumn(9).getInt64();
      r.status.staffAvailable = q.getColumn(10).getInt64();
      r.status.staffTotal = q.getColumn(11).getInt64();
      r.status.note = q.getColumn(12).getString();
      r.status.sentAt = q.getColumn(13).getInt64();
      out.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<int64_t> PictureStore::frameCount() {
  try {
    return store_.db().execAndGet("SELECT count(*) FROM frames").getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

Result<std::vector<std::pair<std::string, std::string>>> PictureStore::capacityForms(
    const std::string& mode) {
  std::vector<std::pair<std::string, std::string>> out;
  try {
    SQLite::Statement q(
        store_.db(), std::string(kCapacityFiguresCte) + "SELECT DISTINCT code, form FROM figures");
    q.bind(":mode", mode);
    while (q.executeStep())
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<std::vector<CapacityCellRow>> PictureStore::capacityCells(const std::string& mode) {
  std::vector<CapacityCellRow> out;
  try {
    SQLite::Statement q(
        store_.db(),
        std::string(kCapacityFiguresCte) +
            "SELECT coalesce(u.district, ''), c.form, c.year, sum(c.enrolled), sum(c.seats_now), "
            "sum(c.seats_72h), count(*) FROM figures c LEFT JOIN units u ON u.code=c.code "
            "LEFT JOIN unit_status s ON s.mode=:mode AND s.code=c.code WHERE "
            "coalesce(s.operational, 'unknown') NOT IN ('closed', 'remote') GROUP BY 1, 2, 3");
    q.bind(":mode", mode);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     q.getColumn(2).getInt(), q.getColumn(3).getInt64(), q.getColumn(4).getInt64(),
                     q.getColumn(5).getInt64(), q.getColumn(6).getInt64()});
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<int64_t> PictureStore::capacityExcludedUnits(const std::string& mode) {
  try {
    SQLite::Statement q(store_.db(),
                        std::string(kCapacityFiguresCte) +
                            "SELECT count(DISTINCT c.code) FROM figures c JOIN unit_status s ON "
                            "s.mode=:mode AND s.code=c.code WHERE s.operational IN "
                            "('closed', 'remote')");
    q.bind(":mode", mode);
    return count(q);
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

Result<std::vector<WhatIfRow>> PictureStore::whatIfMarks() {
  std::vector<WhatIfRow> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT w.code, u.name, u.provider_id, w.marked_by, w.marked_at FROM "
                        "whatif_failing w LEFT JOIN units u ON u.code=w.code ORDER BY w.code");
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), columns::optionalText(q.getColumn(1)),
                     columns::optionalText(q.getColumn(2)).value_or(""), q.getColumn(3).getString(),
                     q.getColumn(4).getInt64()});
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Status PictureStore::setWhatIf(const std::string& code, bool failing, const std::string& byUser,
                               int64_t nowMs) {
  try {
    SQLite::Statement exists(store_.db(), "SELECT 1 FROM units WHERE code=?");
    exists.bind(1, code);
    if (!exists.executeStep()) {
      return common::Error{common::ErrorKind::notFound, "there is no unit " + code};
    }
    if (failing) {
      SQLite::Statement q(store_.db(),
                          "INSERT INTO whatif_failing(code, marked_by, marked_at) VALUES(?,?,?) "
                          "ON CONFLICT(code) DO UPDATE SET marked_by=excluded.marked_by, "
                          "marked_at=excluded.marked_at");
      q.bind(1, code);
      q.bind(2, byUser);
      q.bind(3, nowMs);
      q.exec();
    } else {
      SQLite::Statement q(store_.db(), "DELETE FROM whatif_failing WHERE code=?");
      q.bind(1, code);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

Result<std::vector<FrameRow>> PictureStore::framesOf(const std::string& sender, int64_t before,
                                                     int limit) {
  std::vector<FrameRow> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT id, seq, kind, mode, sent_at, received_at, key_id, envelope, "
                        "batch_id, batch_idx FROM frames WHERE sender=? AND id<? ORDER BY id DESC "
                        "LIMIT ?");
    StoredEnvelopes envelopes(store_.db());
    q.bind(1, sender);
    q.bind(2, before > 0 ? before : INT64_MAX);
    q.bind(3, limit);
    while (q.executeStep()) {
      FrameRow f;
      f.id = q.getColumn(0).getInt64();
      f.seq = q.getColumn(1).getInt64();
      f.kind = q.getColumn(2).getString();
      f.mode = q.getColumn(3).getString();
      f.sentAt = q.getColumn(4).getInt64();
      f.receivedAt = q.getColumn(5).getInt64();
      f.keyId = q.getColumn(6).getString();
      envelopes.read(q, 7, f.envelope);
      out.push_back(std::move(f));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<int64_t> PictureStore::frameCountOf(const std::string& sender, int64_t upTo) {
  try {
    SQLite::Statement q(store_.db(), "SELECT count(*) FROM frames WHERE sender=? AND id<=?");
    q.bind(1, sender);
    q.bind(2, upTo);
    return count(q);
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

Result<bool> PictureStore::hasFramesBelow(const std::string& sender, int64_t id) {
  try {
    SQLite::Statement q(store_.db(), "SELECT 1 FROM frames WHERE sender=? AND id<? LIMIT 1");
    q.bind(1, sender);
    q.bind(2, id);
    return q.executeStep();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

Result<int64_t> PictureStore::dataVersion() {
  try {
    return store_.db().execAndGet("PRAGMA data_version").getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

Result<ChangeFingerprint> PictureStore::fingerprint() {
  ChangeFingerprint f;
  try {
    auto& db = store_.db();
    {
      SQLite::Statement q(db, "SELECT coalesce(max(id), 0) FROM frames");
      f.maxFrameId = count(q);
    }
    f.print = std::to_string(f.maxFrameId);
    SQLite::Statement roster(db, "SELECT count(*) FROM units");
    roster.executeStep();
    f.print += "|" + roster.getColumn(0).getString();
    SQLite::Statement level(db, "SELECT coalesce((SELECT value FROM meta WHERE key='level'), '')");
    level.executeStep();
    f.print += "|" + level.getColumn(0).getString();
    SQLite::Statement marks(db,
                            "SELECT coalesce(group_concat(code), '') FROM "
                            "(SELECT code FROM whatif_failing ORDER BY code)");
    marks.executeStep();
    f.print += "|" + marks.getColumn(0).getString();
    // An upstream broker's cities (docs/rollup.md): a relayed frame stored, a refusal, an
    // enrolment. Empty tables on a city broker.
    SQLite::Statement rollup(db,
                             "SELECT (SELECT coalesce(max(id), 0) FROM rollup_frames) || ',' || "
                             "(SELECT coalesce(sum(count), 0) FROM rollup_refusals) || ',' || "
                             "(SELECT count(*) FROM rollup_cities)");
    rollup.executeStep();
    f.print += "|" + rollup.getColumn(0).getString();
    SQLite::Statement q(db, "SELECT id, coalesce(last_seen, 0) FROM providers ORDER BY id");
    while (q.executeStep()) {
      f.lastSeen.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return f;
}

Result<DatabaseCounts> PictureStore::counts() {
  DatabaseCounts c;
  try {
    auto& db = store_.db();
    SQLite::Statement p(db, "SELECT last_seen FROM providers");
    while (p.executeStep()) c.providerLastSeen.push_back(columns::optionalInt(p.getColumn(0)));
    SQLite::Statement u(db,
                        "SELECT coalesce(s.operational, 'unknown'), count(*) FROM units u "
                        "LEFT JOIN unit_status s ON s.code=u.code AND s.mode='actual' "
                        "GROUP BY 1");
    while (u.executeStep()) c.unitsByState[u.getColumn(0).getString()] = u.getColumn(1).getInt64();
    c.archivedFrames = db.execAndGet("SELECT coalesce(max(id), 0) FROM frames").getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return c;
}

Result<HealthRow> PictureStore::health() {
  try {
    HealthRow h;
    h.archivedFrames = store_.db().execAndGet("SELECT coalesce(max(id), 0) FROM frames").getInt64();
    h.schemaVersion = schemaVersion(store_.db());
    return h;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

}  // namespace samband::broker
