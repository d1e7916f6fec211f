// See replay_store.h.
#include "broker/store/replay_store.h"

#include "broker/store/columns.h"

namespace samband::broker {

common::Status ReplayStore::putHeads(const std::vector<ChainHeadRow>& heads) {
  try {
    auto& db = store_.db();
    db.exec("DELETE FROM frames");
    SQLite::Statement q(db,
                        "INSERT INTO frames(id, sender, key_id, seq, kind, mode, sent_at, "
                        "received_at, body_hash, envelope) VALUES(?,?,?,?,?,?,?,?,?,x'')");
    for (const auto& h : heads) {
      q.reset();
      q.bind(1, h.frameId);
      q.bind(2, h.sender);
      q.bind(3, h.keyId);
      q.bind(4, h.seq);
      q.bind(5, h.kind);
      q.bind(6, h.mode);
      q.bind(7, h.sentAt);
      q.bind(8, h.receivedAt);
      q.bind(9, h.bodyHash.data(), static_cast<int>(h.bodyHash.size()));
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::vector<ChainHeadRow>> ReplayStore::heads() {
  std::vector<ChainHeadRow> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT sender, key_id, seq, id, kind, mode, sent_at, received_at, "
                        "body_hash FROM frames ORDER BY id");
    while (q.executeStep()) {
      ChainHeadRow h;
      h.sender = q.getColumn(0).getString();
      h.keyId = q.getColumn(1).getString();
      h.seq = q.getColumn(2).getInt64();
      h.frameId = q.getColumn(3).getInt64();
      h.kind = q.getColumn(4).getString();
      h.mode = q.getColumn(5).getString();
      h.sentAt = q.getColumn(6).getInt64();
      h.receivedAt = q.getColumn(7).getInt64();
      h.bodyHash = columns::blob(q.getColumn(8));
      out.push_back(std::move(h));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Status ReplayStore::putLastSeen(const std::map<std::string, int64_t>& lastSeen) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT INTO providers(id, name, enrolled_at, last_seen) VALUES(?,?,0,?) "
                        "ON CONFLICT(id) DO UPDATE SET last_seen=excluded.last_seen");
    for (const auto& [id, at] : lastSeen) {
      q.reset();
      q.bind(1, id);
      q.bind(2, id);
      q.bind(3, at);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::map<std::string, int64_t>> ReplayStore::lastSeen() {
  std::map<std::string, int64_t> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT id, last_seen FROM providers WHERE last_seen IS NOT NULL");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Status ReplayStore::addProvider(const std::string& id, int64_t enrolledAt) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT OR IGNORE INTO providers(id, name, enrolled_at) VALUES(?,?,?)");
    q.bind(1, id);
    q.bind(2, id);
    q.bind(3, enrolledAt);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ReplayStore::addKey(const std::string& keyIdHex, const std::string& provider,
                                   const common::Bytes& signPublic,
                                   const common::Bytes& curvePublic, int64_t enrolledAt) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT OR IGNORE INTO keys(key_id, provider_id, sign_public, "
                        "curve_public, enrolled_at) VALUES(?,?,?,?,?)");
    q.bind(1, keyIdHex);
    q.bind(2, provider);
    q.bind(3, signPublic.data(), static_cast<int>(signPublic.size()));
    // curve_public is UNIQUE: a key without one (never in a valid record) gets its id instead.
    if (curvePublic.empty()) {
      q.bind(4, keyIdHex);
    } else {
      q.bind(4, curvePublic.data(), static_cast<int>(curvePublic.size()));
    }
    q.bind(5, enrolledAt);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ReplayStore::revokeKey(const std::string& keyIdHex, int64_t atMs) {
  try {
    SQLite::Statement q(store_.db(),
                        "UPDATE keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL");
    q.bind(1, atMs);
    q.bind(2, keyIdHex);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status ReplayStore::setUnitOwner(const std::string& code, const std::string& provider) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT INTO units(code, provider_id) VALUES(?,?) ON CONFLICT(code) DO "
                        "UPDATE SET provider_id=excluded.provider_id");
    q.bind(1, code);
    q.bind(2, provider);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::string> ReplayStore::unitOwner(const std::string& code) {
  try {
    SQLite::Statement q(store_.db(), "SELECT provider_id FROM units WHERE code=?");
    q.bind(1, code);
    if (!q.executeStep()) return std::string();
    return q.getColumn(0).getString();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<bool> ReplayStore::hasCheck(const std::string& checkId) {
  try {
    SQLite::Statement q(store_.db(), "SELECT 1 FROM readiness_checks WHERE id=?");
    q.bind(1, checkId);
    return q.executeStep();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status ReplayStore::dropChecksBefore(int64_t deadlineMs) {
  try {
    auto& db = store_.db();
    for (const char* sql :
         {"DELETE FROM readiness_answers WHERE check_id IN (SELECT id FROM readiness_checks "
          "WHERE deadline < ?)",
          "DELETE FROM readiness_recipients WHERE check_id IN (SELECT id FROM readiness_checks "
          "WHERE deadline < ?)",
          "DELETE FROM readiness_checks WHERE deadline < ?"}) {
      SQLite::Statement q(db, sql);
      q.bind(1, deadlineMs);
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::vector<int64_t>> ReplayStore::stateFrameIds() {
  std::vector<int64_t> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT frame_id FROM unit_status UNION SELECT frame_id FROM "
                        "capacity_reports UNION SELECT frame_id FROM continuity UNION SELECT "
                        "frame_id FROM readiness_answers");
    while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Result<std::vector<int64_t>> ReplayStore::openCityFrameIds(int64_t atMs) {
  std::vector<int64_t> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT frame_id FROM readiness_checks WHERE deadline > ?1 AND frame_id "
                        "IS NOT NULL UNION SELECT frame_id FROM directives WHERE expires_at > ?1 "
                        "AND frame_id IS NOT NULL");
    q.bind(1, atMs);
    while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Result<std::vector<std::string>> ReplayStore::providersWithRotations() {
  std::vector<std::string> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT provider_id FROM keys GROUP BY provider_id HAVING count(*) > 1");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Status ReplayStore::setLabels(const std::map<std::string, std::string>& providerNames,
                                      const std::vector<UnitRosterRow>& units) {
  try {
    auto& db = store_.db();
    SQLite::Statement p(db, "UPDATE providers SET name=? WHERE id=?");
    for (const auto& [id, name] : providerNames) {
      p.reset();
      p.bind(1, name);
      p.bind(2, id);
      p.exec();
    }
    SQLite::Statement u(db,
                        "UPDATE units SET name=?, district=?, lat=?, lon=?, school_forms=? "
                        "WHERE code=?");
    for (const auto& row : units) {
      u.reset();
      if (row.name.empty()) {
        u.bind(1);
      } else {
        u.bind(1, row.name);
      }
      if (row.district.empty()) {
        u.bind(2);
      } else {
        u.bind(2, row.district);
      }
      if (row.lat && row.lon) {
        u.bind(3, *row.lat);
        u.bind(4, *row.lon);
      } else {
        u.bind(3);
        u.bind(4);
      }
      u.bind(5, row.schoolForms);
      u.bind(6, row.code);
      u.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

}  // namespace samband::broker
