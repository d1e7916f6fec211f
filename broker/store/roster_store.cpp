// See roster_store.h.
#include "broker/store/roster_store.h"

#include "broker/store/columns.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <cstring>

#include "common/bytes.h"

namespace samband::broker {

using common::Error;
using common::Result;
using common::Status;

namespace {

common::PublicKey blobKey(const SQLite::Column& c) {
  common::PublicKey k{};
  if (c.getBytes() == 32) std::memcpy(k.data(), c.getBlob(), 32);
  return k;
}

}  // namespace

Result<EnrollOutcome> RosterStore::enroll(const common::EnrollRequest& r, bool allowTransfer,
                                          int64_t nowMs, const EnrollHook& alsoInTransaction) {
  auto& db = store_.db();
  EnrollOutcome out;
  const std::string keyId = common::toHex(r.keyId());
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);  // read, then write
    {
      SQLite::Statement q(db, "SELECT name FROM providers WHERE id=?");
      q.bind(1, r.provider);
      out.newProvider = !q.executeStep();
      out.nameChanged = out.newProvider || q.getColumn(0).getString() != r.name;
    }
    {
      SQLite::Statement q(db,
                          "INSERT INTO providers(id, name, enrolled_at, name_at) VALUES(?,?,?,?) "
                          "ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
                          "name_at=CASE WHEN name<>excluded.name THEN excluded.name_at "
                          "ELSE name_at END, "
                          "enrolled_at=CASE WHEN enrolled_at=0 THEN excluded.enrolled_at "
                          "ELSE enrolled_at END");
      q.bind(1, r.provider);
      q.bind(2, r.name);
      q.bind(3, nowMs);
      q.bind(4, nowMs);
      q.exec();
    }
    {
      SQLite::Statement q(db, "SELECT provider_id, revoked_at FROM keys WHERE key_id=?");
      q.bind(1, keyId);
      if (q.executeStep()) {
        if (q.getColumn(0).getString() != r.provider) {
          return Error{common::ErrorKind::conflict,
                       "key " + keyId + " is already enrolled for provider " +
                           q.getColumn(0).getString() + "; every provider needs its own key"};
        }
        if (!q.getColumn(1).isNull()) {
          return Error{common::ErrorKind::conflict,
                       "key " + keyId +
                           " was revoked and cannot be enrolled again; the "
                           "provider must create a new identity"};
        }
        out.keyAlreadyEnrolled = true;
      }
    }
    if (!out.keyAlreadyEnrolled) {
      SQLite::Statement c(db, "SELECT key_id FROM keys WHERE curve_public=?");
      c.bind(1, r.curvePublic.data(), 32);
      if (c.executeStep()) {
        return Error{common::ErrorKind::conflict,
                     "the transport key in this request is already enrolled under key " +
                         c.getColumn(0).getString() + "; refusing a copied key"};
      }
      SQLite::Statement q(db,
                          "INSERT INTO keys(key_id, provider_id, sign_public, curve_public, "
                          "enrolled_at) VALUES(?,?,?,?,?)");
      q.bind(1, keyId);
      q.bind(2, r.provider);
      q.bind(3, r.signPublic.data(), 32);
      q.bind(4, r.curvePublic.data(), 32);
      q.bind(5, nowMs);
      q.exec();
    }
    for (const auto& unit : r.units) {
      SQLite::Statement q(db, "SELECT provider_id FROM units WHERE code=?");
      q.bind(1, unit);
      if (q.executeStep()) {
        std::string owner = q.getColumn(0).getString();
        if (owner == r.provider) continue;
        if (!allowTransfer) {
          return Error{common::ErrorKind::conflict,
                       "unit " + unit + " belongs to provider " + owner + "; to move it to " +
                           r.provider + " run enroll again with --transfer (nothing was changed)"};
        }
        SQLite::Statement u(db, "UPDATE units SET provider_id=? WHERE code=?");
        u.bind(1, r.provider);
        u.bind(2, unit);
        u.exec();
        out.unitsTransferred.push_back(unit);
      } else {
        SQLite::Statement u(db, "INSERT INTO units(code, provider_id) VALUES(?,?)");
        u.bind(1, unit);
        u.bind(2, r.provider);
        u.exec();
        out.unitsAdded.push_back(unit);
      }
    }
    if (alsoInTransaction) {
      if (auto s = alsoInTransaction(out); !s) return s.error();
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("enrollment not stored: ") + e.what());
  }
  return out;
}

Status RosterStore::revokeKey(const std::string& keyIdHex, int64_t atMs,
                              const RevokeHook& alsoInTransaction) {
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);  // read, then write
    SQLite::Statement q(db, "UPDATE keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL");
    q.bind(1, atMs);
    q.bind(2, keyIdHex);
    if (q.exec() == 0) {
      return Error{common::ErrorKind::notFound,
                   "no active key " + keyIdHex + "; list keys with 'samband-broker status'"};
    }
    SQLite::Statement p(db, "SELECT provider_id FROM keys WHERE key_id=?");
    p.bind(1, keyIdHex);
    std::string provider = p.executeStep() ? p.getColumn(0).getString() : std::string();
    // Inside the write transaction: every frame of the key archived so far is at or below this
    // head, and a committer that stores one later sees the revocation (docs/replication.md).
    SQLite::Statement h(db, "SELECT coalesce(max(seq), 0) FROM frames WHERE sender=? AND key_id=?");
    h.bind(1, provider);
    h.bind(2, keyIdHex);
    const int64_t head = h.executeStep() ? h.getColumn(0).getInt64() : 0;
    SQLite::Statement u(db, "UPDATE keys SET revoked_after_seq=? WHERE key_id=?");
    u.bind(1, head);
    u.bind(2, keyIdHex);
    u.exec();
    if (alsoInTransaction) {
      if (auto s = alsoInTransaction(provider, static_cast<uint64_t>(head)); !s) return s;
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("revocation not stored: ") + e.what());
  }
  return {};
}

Result<RecordOutcome> RosterStore::applyRecord(const common::EnrolmentMsg& record) {
  RecordOutcome out;
  const std::string keyId = common::toHex(record.keyId);
  try {
    auto& db = store_.db();
    // The provider row; enrolled_at 0 marks a placeholder (units imported before enrolment).
    auto knowProvider = [&](int64_t enrolledAt) {
      SQLite::Statement q(db,
                          "INSERT OR IGNORE INTO providers(id, name, enrolled_at) VALUES(?,?,?)");
      q.bind(1, record.provider);
      q.bind(2, record.provider);
      q.bind(3, enrolledAt);
      if (q.exec() > 0) out.changed = true;
      if (enrolledAt == 0) return;
      SQLite::Statement u(db, "UPDATE providers SET enrolled_at=? WHERE id=? AND enrolled_at=0");
      u.bind(1, enrolledAt);
      u.bind(2, record.provider);
      if (u.exec() > 0) out.changed = true;
    };
    auto ownUnits = [&]() {
      for (const auto& unit : record.units) {
        SQLite::Statement q(db,
                            "INSERT INTO units(code, provider_id) VALUES(?,?) ON CONFLICT(code) "
                            "DO UPDATE SET provider_id=excluded.provider_id "
                            "WHERE provider_id<>excluded.provider_id");
        q.bind(1, unit);
        q.bind(2, record.provider);
        if (q.exec() > 0) out.changed = true;
      }
    };
    switch (record.action) {
      case common::EnrolmentAction::ENROL: {
        common::PublicKey signPublic{};
        if (record.signPublic.size() == 32) {
          std::memcpy(signPublic.data(), record.signPublic.data(), 32);
        }
        if (record.signPublic.size() != 32 || record.curvePublic.size() != 32 ||
            record.keyId != common::keyIdOf(signPublic)) {
          out.conflicts.push_back("the enrolment record of key " + keyId +
                                  " does not name its key's public halves; enrol the provider "
                                  "on this broker with samband-broker enroll");
          return out;
        }
        SQLite::Statement k(db, "SELECT provider_id FROM keys WHERE key_id=?");
        k.bind(1, keyId);
        if (k.executeStep()) {
          if (k.getColumn(0).getString() != record.provider) {
            out.conflicts.push_back("key " + keyId + " is enrolled here for provider " +
                                    k.getColumn(0).getString() + ", the peer enrolled it for " +
                                    record.provider + "; revoke the wrong enrolment");
            return out;
          }
          // Enrolled here too (or revoked since): the key stays as it is.
        } else {
          SQLite::Statement c(db, "SELECT key_id FROM keys WHERE curve_public=?");
          c.bind(1, record.curvePublic.data(), 32);
          if (c.executeStep()) {
            out.conflicts.push_back("the transport key of key " + keyId +
                                    " is enrolled here under key " + c.getColumn(0).getString() +
                                    "; the provider must create a new identity");
            return out;
          }
          knowProvider(record.effectiveAt);
          SQLite::Statement q(db,
                              "INSERT INTO keys(key_id, provider_id, sign_public, curve_public, "
                              "enrolled_at) VALUES(?,?,?,?,?)");
          q.bind(1, keyId);
          q.bind(2, record.provider);
          q.bind(3, record.signPublic.data(), 32);
          q.bind(4, record.curvePublic.data(), 32);
          q.bind(5, record.effectiveAt);
          q.exec();
          out.changed = true;
        }
        knowProvider(record.effectiveAt);
        ownUnits();
        return out;
      }
      case common::EnrolmentAction::REVOKE: {
        SQLite::Statement k(db, "SELECT provider_id FROM keys WHERE key_id=?");
        k.bind(1, keyId);
        if (!k.executeStep() || k.getColumn(0).getString() != record.provider) {
          out.conflicts.push_back("the peer revoked key " + keyId + " of provider " +
                                  record.provider +
                                  ", which this broker has not enrolled for that provider");
          return out;
        }
        SQLite::Statement q(db,
                            "UPDATE keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL");
        q.bind(1, record.effectiveAt);
        q.bind(2, keyId);
        const bool newlyRevoked = q.exec() > 0;
        if (newlyRevoked) out.changed = true;
        if (!record.revokedAfterSeq) return out;  // an older record: judged by its time
        // What this archive holds of the key's chain now, in the transaction that applies the
        // record: archived before the revocation was known here, so history on every broker.
        SQLite::Statement h(db,
                            "SELECT coalesce(max(seq), 0) FROM frames WHERE sender=? AND key_id=?");
        h.bind(1, record.provider);
        h.bind(2, keyId);
        const uint64_t localHead =
            h.executeStep() ? static_cast<uint64_t>(h.getColumn(0).getInt64()) : 0;
        uint64_t head = std::max(*record.revokedAfterSeq, newlyRevoked ? localHead : 0);
        SQLite::Statement c(db, "SELECT revoked_after_seq FROM keys WHERE key_id=?");
        c.bind(1, keyId);
        if (c.executeStep() && !c.getColumn(0).isNull()) {
          head = std::max(head, static_cast<uint64_t>(c.getColumn(0).getInt64()));
        }
        SQLite::Statement u(db,
                            "UPDATE keys SET revoked_after_seq=? WHERE key_id=? AND "
                            "(revoked_after_seq IS NULL OR revoked_after_seq<?)");
        u.bind(1, static_cast<int64_t>(head));
        u.bind(2, keyId);
        u.bind(3, static_cast<int64_t>(head));
        if (u.exec() > 0) out.changed = true;
        if (newlyRevoked && localHead > *record.revokedAfterSeq) {
          out.publishRevokedAfterSeq = localHead;
        }
        return out;
      }
      case common::EnrolmentAction::UNITS:
        knowProvider(0);
        ownUnits();
        return out;
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot apply a roster record: ") + e.what());
  }
  return out;
}

Result<std::unordered_map<std::string, uint64_t>> RosterStore::revokedHeads() {
  std::unordered_map<std::string, uint64_t> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT key_id, revoked_after_seq FROM keys WHERE revoked_at IS NOT NULL "
                        "AND revoked_after_seq IS NOT NULL");
    while (q.executeStep()) {
      out[q.getColumn(0).getString()] = static_cast<uint64_t>(q.getColumn(1).getInt64());
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot read the revoked keys: ") + e.what());
  }
  return out;
}

Result<std::vector<KeyRecord>> RosterStore::loadKeys() {
  std::vector<KeyRecord> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT key_id, provider_id, sign_public, curve_public, enrolled_at, "
                        "revoked_at, revoked_after_seq FROM keys");
    while (q.executeStep()) {
      KeyRecord k;
      k.keyId = q.getColumn(0).getString();
      k.providerId = q.getColumn(1).getString();
      k.signPublic = blobKey(q.getColumn(2));
      k.curvePublic = blobKey(q.getColumn(3));
      k.enrolledAt = q.getColumn(4).getInt64();
      k.revokedAt = columns::optionalInt(q.getColumn(5));
      if (auto head = columns::optionalInt(q.getColumn(6))) {
        k.revokedAfterSeq = static_cast<uint64_t>(*head);
      }
      out.push_back(std::move(k));
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot read the enrolled keys: ") + e.what());
  }
  return out;
}

Result<std::unordered_map<std::string, std::string>> RosterStore::loadUnitOwners() {
  std::unordered_map<std::string, std::string> out;
  try {
    SQLite::Statement q(store_.db(), "SELECT code, provider_id FROM units");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot read the units' owners: ") + e.what());
  }
  return out;
}

Result<int64_t> RosterStore::rosterVersion() {
  try {
    return store_.db().execAndGet("SELECT n FROM roster_version WHERE id=1").getInt64();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot read the roster's version: ") + e.what());
  }
}

Result<std::vector<KeyListing>> RosterStore::listKeys(const std::optional<std::string>& provider) {
  std::vector<KeyListing> out;
  try {
    SQLite::Statement q(
        store_.db(),
        "SELECT k.key_id, k.provider_id, coalesce(p.name, ''), k.enrolled_at, "
        "k.revoked_at, k.last_heartbeat_sent_at, "
        "(SELECT count(*) FROM frames f WHERE f.sender=k.provider_id AND "
        "f.key_id=k.key_id), "
        "(SELECT max(seq) FROM frames f WHERE f.sender=k.provider_id AND "
        "f.key_id=k.key_id) "
        "FROM keys k LEFT JOIN providers p ON p.id=k.provider_id "
        "WHERE ?1 IS NULL OR k.provider_id=?1 ORDER BY k.provider_id, k.enrolled_at");
    columns::bindOptional(q, 1, provider);
    while (q.executeStep()) {
      KeyListing k;
      k.keyId = q.getColumn(0).getString();
      k.providerId = q.getColumn(1).getString();
      k.providerName = q.getColumn(2).getString();
      k.enrolledAt = columns::optionalInt(q.getColumn(3)).value_or(0);
      k.revokedAt = columns::optionalInt(q.getColumn(4));
      k.lastHeartbeatSentAt = columns::optionalInt(q.getColumn(5)).value_or(0);
      k.frames = q.getColumn(6).getInt64();
      k.lastSeq = columns::optionalInt(q.getColumn(7)).value_or(0);
      out.push_back(std::move(k));
    }
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

namespace {

bool sameInfo(const UnitRosterRow& a, const UnitRosterRow& b) {
  return a.providerId == b.providerId && a.name == b.name && a.district == b.district &&
         a.lat == b.lat && a.lon == b.lon && a.schoolForms == b.schoolForms;
}

// The unit's stored row (with info_at), or nothing.
std::optional<std::pair<UnitRosterRow, int64_t>> storedUnit(SQLite::Database& db,
                                                            const std::string& code) {
  SQLite::Statement q(db,
                      "SELECT provider_id, name, district, lat, lon, school_forms, info_at "
                      "FROM units WHERE code=?");
  q.bind(1, code);
  if (!q.executeStep()) return std::nullopt;
  UnitRosterRow r;
  r.code = code;
  r.providerId = q.getColumn(0).getString();
  r.name = columns::optionalText(q.getColumn(1)).value_or("");
  r.district = columns::optionalText(q.getColumn(2)).value_or("");
  if (!q.getColumn(3).isNull() && !q.getColumn(4).isNull()) {
    r.lat = q.getColumn(3).getDouble();
    r.lon = q.getColumn(4).getDouble();
  }
  r.schoolForms = columns::optionalText(q.getColumn(5)).value_or("");
  return std::make_pair(std::move(r), q.getColumn(6).getInt64());
}

// Writes a unit's metadata and owner (the provider row must exist).
void writeUnit(SQLite::Database& db, const UnitRosterRow& row, int64_t infoAt) {
  SQLite::Statement unit(db,
                         "INSERT INTO units(code, provider_id, name, district, lat, lon, "
                         "school_forms, info_at) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(code) DO "
                         "UPDATE SET provider_id=excluded.provider_id, name=excluded.name, "
                         "district=excluded.district, lat=excluded.lat, lon=excluded.lon, "
                         "school_forms=excluded.school_forms, info_at=excluded.info_at");
  unit.bind(1, row.code);
  unit.bind(2, row.providerId);
  unit.bind(3, row.name);
  unit.bind(4, row.district);
  if (row.lat && row.lon) {
    unit.bind(5, *row.lat);
    unit.bind(6, *row.lon);
  } else {
    unit.bind(5);
    unit.bind(6);
  }
  unit.bind(7, row.schoolForms);
  unit.bind(8, infoAt);
  unit.exec();
}

// A provider row named by its id, for units imported before the provider is enrolled.
void placeholderProvider(SQLite::Database& db, const std::string& provider) {
  SQLite::Statement q(db, "INSERT OR IGNORE INTO providers(id, name, enrolled_at) VALUES(?, ?, 0)");
  q.bind(1, provider);
  q.bind(2, provider + " (not enrolled)");
  q.exec();
}

// Orders two versions of one item set at the same time on two brokers, so both keep the same.
std::string infoKey(const UnitRosterRow& r) {
  return r.name + '\x1f' + r.district + '\x1f' + r.schoolForms + '\x1f' +
         (r.lat ? std::to_string(*r.lat) + "," + std::to_string(*r.lon) : std::string());
}

}  // namespace

Status RosterStore::importUnits(const std::vector<UnitRosterRow>& rows, bool allowTransfer,
                                const TransferHook& alsoInTransaction, int64_t nowMs,
                                const InfoHook& infoInTransaction) {
  auto& db = store_.db();
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);  // read, then write
    std::vector<std::string> conflicts;
    std::map<std::string, std::vector<std::string>> transferred;
    for (const auto& row : rows) {
      SQLite::Statement owner(db, "SELECT provider_id FROM units WHERE code=?");
      owner.bind(1, row.code);
      const bool moves = owner.executeStep() && owner.getColumn(0).getString() != row.providerId;
      if (moves) transferred[row.providerId].push_back(row.code);
      if (moves && !allowTransfer) {
        conflicts.push_back("unit " + row.code + " belongs to " + owner.getColumn(0).getString() +
                            ", the file says " + row.providerId);
      }
    }
    if (!conflicts.empty()) {
      std::string msg = "nothing imported: ";
      for (size_t i = 0; i < conflicts.size() && i < 20; ++i) msg += (i ? "; " : "") + conflicts[i];
      msg += ". Fix the file, or pass --transfer to move these units";
      return common::invalidInput(msg);
    }
    std::vector<UnitRosterRow> changed;
    for (const auto& row : rows) {
      auto stored = storedUnit(db, row.code);
      if (stored && sameInfo(stored->first, row)) continue;  // unchanged: no new record either
      placeholderProvider(db, row.providerId);
      writeUnit(db, row, nowMs);
      changed.push_back(row);
    }
    if (alsoInTransaction && !transferred.empty()) {
      if (auto s = alsoInTransaction(transferred); !s) return s;
    }
    if (infoInTransaction && !changed.empty()) {
      if (auto s = infoInTransaction(changed); !s) return s;
    }
    tx.commit();
  } catch (const std::exception& e) {
    return common::unavailable(std::string("roster not imported: ") + e.what());
  }
  return {};
}

Result<std::vector<UnitRosterRow>> RosterStore::exportUnits() {
  std::vector<UnitRosterRow> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT code, provider_id, name, district, lat, lon, school_forms FROM "
                        "units ORDER BY code");
    while (q.executeStep()) {
      UnitRosterRow r;
      r.code = q.getColumn(0).getString();
      r.providerId = q.getColumn(1).getString();
      r.name = columns::optionalText(q.getColumn(2)).value_or("");
      r.district = columns::optionalText(q.getColumn(3)).value_or("");
      if (!q.getColumn(4).isNull() && !q.getColumn(5).isNull()) {
        r.lat = q.getColumn(4).getDouble();
        r.lon = q.getColumn(5).getDouble();
      }
      r.schoolForms = columns::optionalText(q.getColumn(6)).value_or("");
      out.push_back(std::move(r));
    }
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

Status RosterStore::setDutyContact(const std::string& provider, const std::string& contact,
                                   int64_t nowMs, const ChangeHook& alsoInTransaction) {
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);  // read, then write
    SQLite::Statement old(db, "SELECT coalesce(duty_contact, '') FROM providers WHERE id=?");
    old.bind(1, provider);
    if (!old.executeStep()) {
      return Error{
          common::ErrorKind::notFound,
          "no provider " + provider + " in the roster; enroll it or import the roster first"};
    }
    if (old.getColumn(0).getString() == contact) return {};  // as it is: nothing to record
    SQLite::Statement q(db, "UPDATE providers SET duty_contact=?, duty_contact_at=? WHERE id=?");
    if (contact.empty()) {
      q.bind(1);
    } else {
      q.bind(1, contact);
    }
    q.bind(2, nowMs);
    q.bind(3, provider);
    q.exec();
    if (alsoInTransaction) {
      if (auto s = alsoInTransaction(); !s) return s;
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Result<RecordOutcome> RosterStore::applyInfo(const common::RosterInfoMsg& record, int64_t atMs) {
  RecordOutcome out;
  try {
    auto& db = store_.db();
    switch (record.kind) {
      case common::RosterInfoKind::PROVIDER_NAME:
      case common::RosterInfoKind::DUTY_CONTACT: {
        const bool name = record.kind == common::RosterInfoKind::PROVIDER_NAME;
        SQLite::Statement q(db, name ? "SELECT name, name_at FROM providers WHERE id=?"
                                     : "SELECT coalesce(duty_contact, ''), duty_contact_at "
                                       "FROM providers WHERE id=?");
        q.bind(1, record.provider);
        if (!q.executeStep()) {
          if (!name) {
            out.conflicts.push_back("the duty contact of provider " + record.provider +
                                    ", who is not in this broker's roster; enroll the provider "
                                    "or import the roster here, then set the contact again");
            return out;
          }
          SQLite::Statement add(db,
                                "INSERT INTO providers(id, name, enrolled_at, name_at) "
                                "VALUES(?,?,0,?)");
          add.bind(1, record.provider);
          add.bind(2, record.text);
          add.bind(3, atMs);
          add.exec();
          out.changed = true;
          return out;
        }
        const std::string storedText = q.getColumn(0).getString();
        const int64_t storedAt = q.getColumn(1).getInt64();
        // The newest wins (ties: the greater text), so two brokers end alike after a partition.
        if (storedText == record.text) return out;
        if (atMs < storedAt || (atMs == storedAt && record.text < storedText)) return out;
        SQLite::Statement u(db, name ? "UPDATE providers SET name=?, name_at=? WHERE id=?"
                                     : "UPDATE providers SET duty_contact=?, duty_contact_at=? "
                                       "WHERE id=?");
        if (record.text.empty()) {
          u.bind(1);
        } else {
          u.bind(1, record.text);
        }
        u.bind(2, atMs);
        u.bind(3, record.provider);
        u.exec();
        out.changed = true;
        return out;
      }
      case common::RosterInfoKind::UNIT_INFO:
        break;
    }
    for (const auto& info : record.units) {
      UnitRosterRow row;
      row.code = info.code;
      row.providerId = record.provider;
      row.name = info.name;
      row.district = info.district;
      row.lat = info.lat;
      row.lon = info.lon;
      row.schoolForms = info.schoolForms;
      auto stored = storedUnit(db, info.code);
      if (stored && stored->first.providerId != record.provider) {
        out.conflicts.push_back("unit " + info.code + " belongs to provider " +
                                stored->first.providerId + " here, the peer's metadata names " +
                                record.provider +
                                "; move the unit with samband-broker roster "
                                "import --transfer on the broker that is wrong");
        continue;
      }
      if (stored) {
        if (sameInfo(stored->first, row)) continue;
        const int64_t storedAt = stored->second;
        if (atMs < storedAt || (atMs == storedAt && infoKey(row) < infoKey(stored->first))) {
          continue;  // this broker holds newer metadata
        }
      }
      placeholderProvider(db, record.provider);
      writeUnit(db, row, atMs);
      out.changed = true;
    }
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<std::vector<std::tuple<std::string, std::string, std::string>>> RosterStore::dutyContacts() {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT id, name, coalesce(duty_contact, '') FROM providers ORDER BY id");
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString(),
                       q.getColumn(2).getString());
    }
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
