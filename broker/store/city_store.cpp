// See city_store.h.
#include "broker/store/city_store.h"

#include "broker/store/columns.h"
#include "broker/store/stored_envelopes.h"

namespace samband::broker {

using common::Bytes;

common::Result<std::vector<std::string>> CityStore::enrolledProviders() {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(store_.db(),
                        "SELECT DISTINCT provider_id FROM keys WHERE revoked_at IS NULL "
                        "ORDER BY provider_id");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::map<std::string, std::string>> CityStore::providerNames() {
  try {
    std::map<std::string, std::string> out;
    SQLite::Statement q(store_.db(), "SELECT id, name FROM providers ORDER BY id");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status CityStore::queueOutbound(const std::vector<std::string>& providers,
                                        const std::string& kind, const std::string& ref,
                                        const Bytes& envelope, int64_t createdAt,
                                        const std::string& keyId) {
  try {
    SQLite::Statement q(
        store_.db(),
        "INSERT INTO outbound(provider_id, kind, ref, envelope, created_at, key_id) "
        "VALUES(?,?,?,?,?,?)");
    for (const auto& provider : providers) {
      q.reset();
      q.bind(1, provider);
      q.bind(2, kind);
      q.bind(3, ref);
      q.bind(4, envelope.data(), static_cast<int>(envelope.size()));
      q.bind(5, createdAt);
      if (keyId.empty()) {
        q.bind(6);
      } else {
        q.bind(6, keyId);
      }
      q.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::vector<QueuedMessage>> CityStore::dueOutbound(const std::string& provider,
                                                                  int64_t resendBefore, int limit) {
  try {
    std::vector<QueuedMessage> out;
    SQLite::Statement q(store_.db(),
                        "SELECT id, envelope FROM outbound WHERE provider_id=? AND delivered_at IS "
                        "NULL AND (last_sent_at IS NULL OR last_sent_at<?) ORDER BY id LIMIT ?");
    q.bind(1, provider);
    q.bind(2, resendBefore);
    q.bind(3, limit);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt64(), provider, columns::blob(q.getColumn(1))});
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status CityStore::markOutboundSent(const std::vector<int64_t>& ids, int64_t atMs) {
  if (ids.empty()) return {};
  try {
    SQLite::Statement u(store_.db(), "UPDATE outbound SET last_sent_at=? WHERE id=?");
    for (int64_t id : ids) {
      u.reset();
      u.bind(1, atMs);
      u.bind(2, id);
      u.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<int64_t> CityStore::newestOutboundId() {
  try {
    return store_.db().execAndGet("SELECT coalesce(max(id), 0) FROM outbound").getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<QueuedMessage>> CityStore::undeliveredOutbound(int64_t afterId,
                                                                          int64_t upToId) {
  try {
    std::vector<QueuedMessage> out;
    SQLite::Statement q(store_.db(),
                        "SELECT id, provider_id, envelope FROM outbound WHERE id>? AND id<=? AND "
                        "delivered_at IS NULL ORDER BY id");
    q.bind(1, afterId);
    q.bind(2, upToId);
    while (q.executeStep()) {
      out.push_back(
          {q.getColumn(0).getInt64(), q.getColumn(1).getString(), columns::blob(q.getColumn(2))});
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status CityStore::markOutboundDelivered(const std::string& provider, const std::string& ref,
                                                int64_t atMs, const std::string& keyId) {
  try {
    SQLite::Statement d(store_.db(),
                        "UPDATE outbound SET delivered_at=? WHERE provider_id=? AND ref=? AND "
                        "delivered_at IS NULL AND (?4 IS NULL OR key_id IS NULL OR key_id=?4)");
    d.bind(1, atMs);
    d.bind(2, provider);
    d.bind(3, ref);
    if (keyId.empty()) {
      d.bind(4);
    } else {
      d.bind(4, keyId);
    }
    d.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::optional<std::string>> CityStore::checkScheduledFor(const std::string& date) {
  try {
    SQLite::Statement q(store_.db(), "SELECT id FROM readiness_checks WHERE scheduled_for=?");
    q.bind(1, date);
    std::optional<std::string> out;
    if (q.executeStep()) out = q.getColumn(0).getString();
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status CityStore::insertCheck(const ReadinessCheckRow& c,
                                      const std::vector<std::string>& recipients) {
  try {
    auto& db = store_.db();
    SQLite::Statement ins(db,
                          "INSERT INTO readiness_checks(id, issued_at, deadline, mode, "
                          "require_confirmation, scheduled_for, frame_id) VALUES(?,?,?,?,?,?,?)");
    ins.bind(1, c.id);
    ins.bind(2, c.issuedAt);
    ins.bind(3, c.deadline);
    ins.bind(4, c.mode);
    ins.bind(5, c.requireConfirmation ? 1 : 0);
    columns::bindOptional(ins, 6, c.scheduledFor);
    ins.bind(7, c.frameId);
    ins.exec();
    SQLite::Statement rec(db,
                          "INSERT INTO readiness_recipients(check_id, provider_id) VALUES(?,?)");
    for (const auto& p : recipients) {
      rec.reset();
      rec.bind(1, c.id);
      rec.bind(2, p);
      rec.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status CityStore::recordAnswer(const ReadinessAnswerRow& a) {
  try {
    SQLite::Statement q(
        store_.db(),
        "INSERT INTO readiness_answers(check_id, provider_id, received_at, "
        "answered_at, results, failed, confirmed_at, frame_id) "
        "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(check_id, provider_id) DO UPDATE SET "
        "results=excluded.results, failed=excluded.failed, "
        "confirmed_at=coalesce(readiness_answers.confirmed_at, excluded.confirmed_at)");
    q.bind(1, a.checkId);
    q.bind(2, a.provider);
    q.bind(3, a.receivedAt);
    q.bind(4, a.answeredAt);
    q.bind(5, a.results);
    q.bind(6, a.failed);
    columns::bindOptional(q, 7, a.confirmedAt);
    q.bind(8, a.frameId);
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

namespace {

// The columns readCheckRows() reads, in its order.
constexpr const char* kCheckColumns =
    "SELECT id, issued_at, deadline, mode, require_confirmation, scheduled_for, frame_id ";

std::vector<ReadinessCheckRow> readCheckRows(SQLite::Statement& q) {
  std::vector<ReadinessCheckRow> out;
  while (q.executeStep()) {
    ReadinessCheckRow c;
    c.id = q.getColumn(0).getString();
    c.issuedAt = q.getColumn(1).getInt64();
    c.deadline = q.getColumn(2).getInt64();
    c.mode = q.getColumn(3).getString();
    c.requireConfirmation = q.getColumn(4).getInt() != 0;
    c.scheduledFor = columns::optionalText(q.getColumn(5));
    c.frameId = columns::optionalInt(q.getColumn(6)).value_or(0);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

common::Result<std::vector<ReadinessCheckRow>> CityStore::checksNewestFirst(
    const std::optional<std::string>& id) {
  try {
    std::string sql = std::string(kCheckColumns) + "FROM readiness_checks ";
    if (id) sql += "WHERE id=? ";
    sql += "ORDER BY issued_at DESC";
    SQLite::Statement q(store_.db(), sql);
    if (id) q.bind(1, *id);
    return readCheckRows(q);
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<ReadinessCheckRow>> CityStore::checksOpenAt(int64_t atMs) {
  try {
    SQLite::Statement q(store_.db(),
                        std::string(kCheckColumns) +
                            "FROM readiness_checks WHERE deadline > ? AND issued_at <= ? "
                            "ORDER BY issued_at DESC");
    q.bind(1, atMs);
    q.bind(2, atMs);
    return readCheckRows(q);
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<RecipientAnswer>> CityStore::recipientAnswers(
    const std::string& checkId) {
  try {
    SQLite::Statement p(store_.db(),
                        "SELECT r.provider_id, coalesce(pr.name, r.provider_id), a.received_at, "
                        "a.results, a.confirmed_at FROM readiness_recipients r "
                        "LEFT JOIN providers pr ON pr.id=r.provider_id "
                        "LEFT JOIN readiness_answers a ON a.check_id=r.check_id AND "
                        "a.provider_id=r.provider_id WHERE r.check_id=? ORDER BY r.provider_id");
    p.bind(1, checkId);
    std::vector<RecipientAnswer> out;
    while (p.executeStep()) {
      RecipientAnswer r;
      r.provider = p.getColumn(0).getString();
      r.name = p.getColumn(1).getString();
      r.receivedAt = columns::optionalInt(p.getColumn(2));
      if (r.receivedAt) r.results = p.getColumn(3).getString();
      r.confirmedAt = columns::optionalInt(p.getColumn(4));
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<RecipientAnswer>> CityStore::answersTo(const std::string& checkId,
                                                                  const std::string& mode) {
  try {
    auto& db = store_.db();
    SQLite::Statement p(db,
                        "SELECT r.provider_id, coalesce(pr.name, r.provider_id), a.received_at, "
                        "a.results, a.confirmed_at FROM readiness_recipients r "
                        "LEFT JOIN providers pr ON pr.id=r.provider_id "
                        "LEFT JOIN readiness_answers a ON a.check_id=r.check_id AND "
                        "a.provider_id=r.provider_id WHERE r.check_id=? ORDER BY r.provider_id");
    p.bind(1, checkId);
    SQLite::Statement rate(db,
                           "SELECT count(*), sum(CASE WHEN a.received_at IS NOT NULL AND "
                           "a.received_at <= c.deadline THEN 1 ELSE 0 END) FROM (SELECT c.id, "
                           "c.deadline FROM readiness_checks c JOIN readiness_recipients rr ON "
                           "rr.check_id=c.id AND rr.provider_id=? WHERE c.mode=? ORDER BY "
                           "c.issued_at DESC LIMIT 30) c LEFT JOIN readiness_answers a ON "
                           "a.check_id=c.id AND a.provider_id=?");
    std::vector<RecipientAnswer> out;
    while (p.executeStep()) {
      RecipientAnswer r;
      r.provider = p.getColumn(0).getString();
      r.name = p.getColumn(1).getString();
      r.receivedAt = columns::optionalInt(p.getColumn(2));
      if (r.receivedAt) r.results = p.getColumn(3).getString();
      r.confirmedAt = columns::optionalInt(p.getColumn(4));
      rate.reset();
      rate.bind(1, r.provider);
      rate.bind(2, mode);
      rate.bind(3, r.provider);
      if (rate.executeStep()) {
        r.checksCounted = rate.getColumn(0).getInt();
        r.answeredInTime = rate.getColumn(1).isNull() ? 0 : rate.getColumn(1).getInt();
      }
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<std::string>> CityStore::checksDueForClosing(int64_t nowMs) {
  try {
    std::vector<std::string> due;
    SQLite::Statement q(store_.db(),
                        "SELECT id FROM readiness_checks WHERE closed_at IS NULL AND deadline<=?");
    q.bind(1, nowMs);
    while (q.executeStep()) due.push_back(q.getColumn(0).getString());
    return due;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status CityStore::closeCheck(const std::string& id, int64_t atMs,
                                     const std::string& summary) {
  try {
    SQLite::Statement u(store_.db(),
                        "UPDATE readiness_checks SET closed_at=?, summary=? WHERE id=?");
    u.bind(1, atMs);
    u.bind(2, summary);
    u.bind(3, id);
    u.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::vector<std::pair<std::string, std::optional<std::string>>>>
CityStore::recentChecks(int limit) {
  try {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    SQLite::Statement q(store_.db(),
                        "SELECT id, scheduled_for FROM readiness_checks "
                        "ORDER BY issued_at DESC, id DESC LIMIT ?");
    q.bind(1, limit);
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), columns::optionalText(q.getColumn(1)));
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<int64_t> CityStore::nextDirectiveNumber() {
  try {
    return store_.db().execAndGet("SELECT coalesce(max(number), 0) + 1 FROM directives").getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status CityStore::insertDirective(const DirectiveRow& d,
                                          const std::vector<std::string>& recipients) {
  try {
    auto& db = store_.db();
    SQLite::Statement ins(db,
                          "INSERT INTO directives(id, number, text, level, require_ack, mode, "
                          "issued_at, expires_at, frame_id, key_id) VALUES(?,?,?,?,?,?,?,?,?,?)");
    ins.bind(1, d.id);
    ins.bind(2, d.number);
    ins.bind(3, d.text);
    ins.bind(4, d.level);
    ins.bind(5, d.requireAck ? 1 : 0);
    ins.bind(6, d.mode);
    ins.bind(7, d.issuedAt);
    ins.bind(8, d.expiresAt);
    ins.bind(9, d.frameId);
    ins.bind(10, d.keyId);
    ins.exec();
    SQLite::Statement rec(
        db, "INSERT INTO directive_recipients(directive_id, provider_id, key_id) VALUES(?,?,?)");
    for (const auto& p : recipients) {
      rec.reset();
      rec.bind(1, d.id);
      rec.bind(2, p);
      rec.bind(3, d.keyId);
      rec.exec();
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Status CityStore::recordDirectiveAck(const std::string& provider,
                                             const std::string& directiveId,
                                             const std::string& keyId, bool acknowledged,
                                             int64_t atMs) {
  try {
    auto& db = store_.db();
    // Without a key (an older agent's ack): the directive with this id recorded here first,
    // which is what such an ack meant before directives were keyed by their city key.
    const std::string keyOf =
        "key_id=coalesce(?2, (SELECT key_id FROM directives WHERE id=?3 ORDER BY rowid LIMIT 1))";
    auto bindKey = [&](SQLite::Statement& q) {
      q.bind(1, atMs);
      if (keyId.empty()) {
        q.bind(2);
      } else {
        q.bind(2, keyId);
      }
      q.bind(3, directiveId);
      q.bind(4, provider);
    };
    const char* column = acknowledged ? "acknowledged_at" : "delivered_at";
    SQLite::Statement q(db, std::string("UPDATE directive_recipients SET ") + column +
                                "=coalesce(" + column + ", ?1) WHERE " + keyOf +
                                " AND directive_id=?3 AND provider_id=?4");
    bindKey(q);
    q.exec();
    // A person's acknowledgement implies delivery.
    SQLite::Statement d(db,
                        "UPDATE directive_recipients SET delivered_at=coalesce(delivered_at, ?1) "
                        "WHERE " +
                            keyOf + " AND directive_id=?3 AND provider_id=?4");
    bindKey(d);
    d.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

namespace {

// Reads the directives `q` selects (columns as in kDirectiveColumns) with their recipients.
std::vector<DirectiveRow> readDirectives(SQLite::Database& db, SQLite::Statement& q) {
  SQLite::Statement r(
      db,
      "SELECT provider_id, delivered_at, acknowledged_at FROM "
      "directive_recipients WHERE key_id=? AND directive_id=? ORDER BY provider_id");
  std::vector<DirectiveRow> out;
  while (q.executeStep()) {
    DirectiveRow d;
    d.id = q.getColumn(0).getString();
    d.number = q.getColumn(1).getInt64();
    d.text = q.getColumn(2).getString();
    d.level = q.getColumn(3).getString();
    d.requireAck = q.getColumn(4).getInt() != 0;
    d.mode = q.getColumn(5).getString();
    d.issuedAt = q.getColumn(6).getInt64();
    d.expiresAt = q.getColumn(7).getInt64();
    d.frameId = columns::optionalInt(q.getColumn(8)).value_or(0);
    d.keyId = q.getColumn(9).getString();
    r.reset();
    r.bind(1, d.keyId);
    r.bind(2, d.id);
    while (r.executeStep()) {
      d.recipients.push_back({r.getColumn(0).getString(), columns::optionalInt(r.getColumn(1)),
                              columns::optionalInt(r.getColumn(2))});
    }
    out.push_back(std::move(d));
  }
  return out;
}

constexpr const char* kDirectiveColumns =
    "SELECT id, number, text, level, require_ack, mode, issued_at, expires_at, frame_id, key_id "
    "FROM directives";

}  // namespace

common::Result<std::vector<DirectiveRow>> CityStore::directivesInForceAt(int64_t atMs) {
  try {
    SQLite::Statement q(store_.db(), std::string(kDirectiveColumns) +
                                         " WHERE expires_at > ? AND issued_at <= ? "
                                         "ORDER BY number DESC, issued_at DESC");
    q.bind(1, atMs);
    q.bind(2, atMs);
    return readDirectives(store_.db(), q);
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<DirectiveRow>> CityStore::directives(
    const std::optional<std::string>& id) {
  try {
    auto& db = store_.db();
    std::string sql = kDirectiveColumns;
    if (id) sql += " WHERE id=?";
    sql += " ORDER BY number DESC, issued_at DESC";
    SQLite::Statement q(db, sql);
    if (id) q.bind(1, *id);
    return readDirectives(db, q);
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<int64_t>> CityStore::directiveOfKey(const std::string& keyId,
                                                                 int64_t number,
                                                                 const std::string& id) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT coalesce(frame_id, 0) FROM directives WHERE key_id=? AND "
                        "(number=? OR id=?) LIMIT 1");
    q.bind(1, keyId);
    q.bind(2, number);
    q.bind(3, id);
    std::optional<int64_t> out;
    if (q.executeStep()) out = q.getColumn(0).getInt64();
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::map<std::string, std::string>> CityStore::metaWithPrefix(
    const std::string& prefix) {
  try {
    // substr() rather than LIKE: a key may hold '_' or '%'.
    SQLite::Statement q(store_.db(),
                        "SELECT key, value FROM meta WHERE substr(key, 1, ?)=? ORDER BY key");
    q.bind(1, static_cast<int64_t>(prefix.size()));
    q.bind(2, prefix);
    std::map<std::string, std::string> out;
    while (q.executeStep()) {
      out[q.getColumn(0).getString().substr(prefix.size())] = q.getColumn(1).getString();
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<CityStore::ArchivedAck>> CityStore::directiveAcksSince(int64_t fromMs) {
  try {
    // The literal kind lets SQLite use the partial index frames_directive_acks.
    SQLite::Statement q(store_.db(),
                        "SELECT sender, received_at, envelope, batch_id, batch_idx FROM frames "
                        "WHERE kind='directive_ack' AND received_at>=? ORDER BY id");
    q.bind(1, fromMs);
    // An acknowledgement may have come in a batch (issue 16): its envelope is rebuilt from it.
    StoredEnvelopes envelopes(store_.db());
    std::vector<ArchivedAck> out;
    while (q.executeStep()) {
      ArchivedAck a{q.getColumn(0).getString(), {}, q.getColumn(1).getInt64()};
      envelopes.read(q, 2, a.envelope);
      out.push_back(std::move(a));
    }
    return out;
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

}  // namespace samband::broker
