// See rollup_store.h. Every library exception becomes a result here.
#include "broker/store/rollup_store.h"

#include <SQLiteCpp/Statement.h>

namespace samband::broker {

namespace {

common::Bytes blobOf(const SQLite::Column& c) {
  auto* p = static_cast<const uint8_t*>(c.getBlob());
  return common::Bytes(p, p + c.getBytes());
}

std::optional<int64_t> optInt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return common::unavailable(std::string("rollup tables: ") + e.what());
  }
}

}  // namespace

common::Status RollupStore::enrolCity(const RollupCityRow& row) {
  return guarded([&]() -> common::Status {
    SQLite::Statement c(store_.db(), "SELECT city FROM rollup_cities WHERE curve_public=?");
    c.bind(1, row.curvePublic.data(), static_cast<int>(row.curvePublic.size()));
    if (c.executeStep() && c.getColumn(0).getString() != row.city) {
      return common::invalidInput("this transport key is already enrolled for city " +
                                  c.getColumn(0).getString() +
                                  "; each city broker has its own key (check the request file)");
    }
    SQLite::Statement q(store_.db(),
                        "INSERT INTO rollup_cities(city, root_sign_public, curve_public, "
                        "enrolled_at) VALUES(?,?,?,?) ON CONFLICT(city) DO UPDATE SET "
                        "root_sign_public=excluded.root_sign_public, "
                        "curve_public=excluded.curve_public");
    q.bind(1, row.city);
    q.bind(2, row.rootSignPublic.data(), static_cast<int>(row.rootSignPublic.size()));
    q.bind(3, row.curvePublic.data(), static_cast<int>(row.curvePublic.size()));
    q.bind(4, row.enrolledAt);
    q.exec();
    return {};
  });
}

common::Result<std::vector<RollupCityRow>> RollupStore::cities() {
  return guarded([&]() -> common::Result<std::vector<RollupCityRow>> {
    SQLite::Statement q(store_.db(),
                        "SELECT city, root_sign_public, curve_public, enrolled_at, last_contact, "
                        "liveness, liveness_at, gaps FROM rollup_cities ORDER BY city");
    std::vector<RollupCityRow> out;
    while (q.executeStep()) {
      RollupCityRow r;
      r.city = q.getColumn(0).getString();
      r.rootSignPublic = blobOf(q.getColumn(1));
      r.curvePublic = blobOf(q.getColumn(2));
      r.enrolledAt = q.getColumn(3).getInt64();
      r.lastContact = optInt(q.getColumn(4));
      r.livenessJson = q.getColumn(5).getString();
      r.livenessAt = optInt(q.getColumn(6));
      r.gaps = q.getColumn(7).getInt64();
      out.push_back(std::move(r));
    }
    return out;
  });
}

common::Result<std::optional<std::string>> RollupStore::cityOfTransportKey(
    const common::Bytes& curvePublic) {
  return guarded([&]() -> common::Result<std::optional<std::string>> {
    SQLite::Statement q(store_.db(), "SELECT city FROM rollup_cities WHERE curve_public=?");
    q.bind(1, curvePublic.data(), static_cast<int>(curvePublic.size()));
    if (!q.executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(q.getColumn(0).getString());
  });
}

common::Result<std::vector<RollupStore::Head>> RollupStore::heads(const std::string& city) {
  return guarded([&]() -> common::Result<std::vector<Head>> {
    SQLite::Statement q(store_.db(),
                        "SELECT sender, key_id, MAX(seq) FROM rollup_frames WHERE city=? "
                        "GROUP BY sender, key_id ORDER BY sender, key_id");
    q.bind(1, city);
    std::vector<Head> out;
    while (q.executeStep()) {
      out.push_back(Head{q.getColumn(0).getString(), q.getColumn(1).getString(),
                         static_cast<uint64_t>(q.getColumn(2).getInt64())});
    }
    return out;
  });
}

common::Result<std::optional<common::Bytes>> RollupStore::bodyHashAt(const std::string& city,
                                                                     const std::string& sender,
                                                                     const std::string& keyId,
                                                                     uint64_t seq) {
  return guarded([&]() -> common::Result<std::optional<common::Bytes>> {
    SQLite::Statement q(store_.db(),
                        "SELECT body_hash FROM rollup_frames WHERE city=? AND sender=? AND "
                        "key_id=? AND seq=?");
    q.bind(1, city);
    q.bind(2, sender);
    q.bind(3, keyId);
    q.bind(4, static_cast<int64_t>(seq));
    if (!q.executeStep()) return std::optional<common::Bytes>();
    return std::optional<common::Bytes>(blobOf(q.getColumn(0)));
  });
}

common::Result<std::vector<common::Bytes>> RollupStore::cityChainFrames(const std::string& city) {
  return guarded([&]() -> common::Result<std::vector<common::Bytes>> {
    SQLite::Statement q(store_.db(),
                        "SELECT envelope FROM rollup_frames WHERE city=? AND sender='city' "
                        "ORDER BY key_id, seq");
    q.bind(1, city);
    std::vector<common::Bytes> out;
    while (q.executeStep()) out.push_back(blobOf(q.getColumn(0)));
    return out;
  });
}

common::Result<std::vector<RollupFrameRow>> RollupStore::frames(const std::string& city) {
  return guarded([&]() -> common::Result<std::vector<RollupFrameRow>> {
    SQLite::Statement q(store_.db(),
                        "SELECT sender, key_id, seq, body_hash, sent_at, received_at, envelope, "
                        "batch_index FROM rollup_frames WHERE city=? "
                        "ORDER BY sender <> 'city', id");
    q.bind(1, city);
    std::vector<RollupFrameRow> out;
    while (q.executeStep()) {
      RollupFrameRow r;
      r.sender = q.getColumn(0).getString();
      r.keyId = q.getColumn(1).getString();
      r.seq = static_cast<uint64_t>(q.getColumn(2).getInt64());
      r.bodyHash = blobOf(q.getColumn(3));
      r.sentAt = q.getColumn(4).getInt64();
      r.receivedAt = q.getColumn(5).getInt64();
      r.envelope = blobOf(q.getColumn(6));
      if (!q.getColumn(7).isNull()) r.batchIndex = static_cast<uint32_t>(q.getColumn(7).getInt());
      out.push_back(std::move(r));
    }
    return out;
  });
}

common::Result<bool> RollupStore::insertFrame(const std::string& city, const RollupFrameRow& r) {
  return guarded([&]() -> common::Result<bool> {
    SQLite::Statement q(store_.db(),
                        "INSERT OR IGNORE INTO rollup_frames(city, sender, key_id, seq, body_hash, "
                        "sent_at, received_at, envelope, batch_index) VALUES(?,?,?,?,?,?,?,?,?)");
    q.bind(1, city);
    q.bind(2, r.sender);
    q.bind(3, r.keyId);
    q.bind(4, static_cast<int64_t>(r.seq));
    q.bind(5, r.bodyHash.data(), static_cast<int>(r.bodyHash.size()));
    q.bind(6, r.sentAt);
    q.bind(7, r.receivedAt);
    q.bind(8, r.envelope.data(), static_cast<int>(r.envelope.size()));
    if (r.batchIndex) {
      q.bind(9, static_cast<int64_t>(*r.batchIndex));
    } else {
      q.bind(9);
    }
    return q.exec() > 0;
  });
}

common::Status RollupStore::putUnitStatus(const std::string& city, const std::string& unit,
                                          const std::string& provider, const std::string& keyId,
                                          uint64_t seq, const std::string& state,
                                          const std::string& statusJson, int64_t reportedAt) {
  return guarded([&]() -> common::Status {
    // The picture follows each chain's seq; a status from another key (a rotation) replaces it.
    SQLite::Statement q(
        store_.db(),
        "INSERT INTO rollup_units(city, unit, provider, state, status_seq, status_key, status, "
        "reported_at) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(city, unit) DO UPDATE SET "
        "provider=excluded.provider, state=excluded.state, status_seq=excluded.status_seq, "
        "status_key=excluded.status_key, status=excluded.status, "
        "reported_at=excluded.reported_at WHERE rollup_units.status_seq IS NULL OR "
        "rollup_units.status_key <> excluded.status_key OR "
        "rollup_units.status_seq < excluded.status_seq");
    q.bind(1, city);
    q.bind(2, unit);
    q.bind(3, provider);
    q.bind(4, state);
    q.bind(5, static_cast<int64_t>(seq));
    q.bind(6, keyId);
    q.bind(7, statusJson);
    q.bind(8, reportedAt);
    q.exec();
    return {};
  });
}

common::Status RollupStore::putUnitCapacity(const std::string& city, const std::string& unit,
                                            const std::string& provider, const std::string& keyId,
                                            uint64_t seq, const std::string& capacityJson,
                                            int64_t at) {
  return guarded([&]() -> common::Status {
    SQLite::Statement q(
        store_.db(),
        "INSERT INTO rollup_units(city, unit, provider, capacity, capacity_seq, capacity_key, "
        "capacity_at) VALUES(?,?,?,?,?,?,?) ON CONFLICT(city, unit) DO UPDATE SET "
        "provider=excluded.provider, capacity=excluded.capacity, "
        "capacity_seq=excluded.capacity_seq, capacity_key=excluded.capacity_key, "
        "capacity_at=excluded.capacity_at WHERE rollup_units.capacity_seq IS NULL OR "
        "rollup_units.capacity_key <> excluded.capacity_key OR "
        "rollup_units.capacity_seq < excluded.capacity_seq");
    q.bind(1, city);
    q.bind(2, unit);
    q.bind(3, provider);
    q.bind(4, capacityJson);
    q.bind(5, static_cast<int64_t>(seq));
    q.bind(6, keyId);
    q.bind(7, at);
    q.exec();
    return {};
  });
}

common::Status RollupStore::countRefusal(const std::string& city, const std::string& reason,
                                         int64_t n) {
  return guarded([&]() -> common::Status {
    SQLite::Statement q(store_.db(),
                        "INSERT INTO rollup_refusals(city, reason, count) VALUES(?,?,?) "
                        "ON CONFLICT(city, reason) DO UPDATE SET count=count+excluded.count");
    q.bind(1, city);
    q.bind(2, reason);
    q.bind(3, n);
    q.exec();
    return {};
  });
}

common::Status RollupStore::addGaps(const std::string& city, int64_t n) {
  return guarded([&]() -> common::Status {
    SQLite::Statement q(store_.db(), "UPDATE rollup_cities SET gaps=gaps+? WHERE city=?");
    q.bind(1, n);
    q.bind(2, city);
    q.exec();
    return {};
  });
}

common::Status RollupStore::noteContact(const std::string& city, int64_t atMs) {
  return guarded([&]() -> common::Status {
    SQLite::Statement q(store_.db(), "UPDATE rollup_cities SET last_contact=? WHERE city=?");
    q.bind(1, atMs);
    q.bind(2, city);
    q.exec();
    return {};
  });
}

common::Status RollupStore::setLiveness(const std::string& city, const std::string& livenessJson,
                                        int64_t atMs) {
  return guarded([&]() -> common::Status {
    SQLite::Statement q(store_.db(),
                        "UPDATE rollup_cities SET liveness=?, liveness_at=? WHERE city=?");
    q.bind(1, livenessJson);
    q.bind(2, atMs);
    q.bind(3, city);
    q.exec();
    return {};
  });
}

common::Result<std::vector<RollupUnitRow>> RollupStore::units(const std::string& city) {
  return guarded([&]() -> common::Result<std::vector<RollupUnitRow>> {
    SQLite::Statement q(store_.db(),
                        "SELECT unit, provider, state, status, reported_at, capacity, capacity_at "
                        "FROM rollup_units WHERE city=? ORDER BY provider, unit");
    q.bind(1, city);
    std::vector<RollupUnitRow> out;
    while (q.executeStep()) {
      RollupUnitRow r;
      r.city = city;
      r.unit = q.getColumn(0).getString();
      r.provider = q.getColumn(1).getString();
      if (!q.getColumn(2).isNull()) r.state = q.getColumn(2).getString();
      r.statusJson = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
      r.reportedAt = optInt(q.getColumn(4));
      r.capacityJson = q.getColumn(5).isNull() ? "" : q.getColumn(5).getString();
      r.capacityAt = optInt(q.getColumn(6));
      out.push_back(std::move(r));
    }
    return out;
  });
}

common::Result<std::vector<std::pair<std::string, int64_t>>> RollupStore::refusals(
    const std::string& city) {
  return guarded([&]() -> common::Result<std::vector<std::pair<std::string, int64_t>>> {
    SQLite::Statement q(store_.db(),
                        "SELECT reason, count FROM rollup_refusals WHERE city=? ORDER BY reason");
    q.bind(1, city);
    std::vector<std::pair<std::string, int64_t>> out;
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
    return out;
  });
}

common::Result<std::optional<int64_t>> RollupStore::newestFrameAt(const std::string& city) {
  return guarded([&]() -> common::Result<std::optional<int64_t>> {
    SQLite::Statement q(store_.db(),
                        "SELECT MAX(MIN(sent_at, received_at)) FROM rollup_frames "
                        "WHERE city=? AND sender <> 'city'");
    q.bind(1, city);
    if (!q.executeStep() || q.getColumn(0).isNull()) return std::optional<int64_t>();
    return std::optional<int64_t>(q.getColumn(0).getInt64());
  });
}

common::Result<int64_t> RollupStore::frameCount(const std::string& city) {
  return guarded([&]() -> common::Result<int64_t> {
    SQLite::Statement q(store_.db(), "SELECT COUNT(*) FROM rollup_frames WHERE city=?");
    q.bind(1, city);
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

common::Result<std::vector<std::pair<std::string, std::optional<int64_t>>>>
RollupStore::providerLastSeen() {
  using Rows = std::vector<std::pair<std::string, std::optional<int64_t>>>;
  return guarded([&]() -> common::Result<Rows> {
    SQLite::Statement q(store_.db(), "SELECT id, last_seen FROM providers ORDER BY id");
    Rows out;
    while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), optInt(q.getColumn(1)));
    return out;
  });
}

}  // namespace samband::broker
