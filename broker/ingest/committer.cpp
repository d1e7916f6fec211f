// See committer.h. The chain rule (seq = head + 1, prevHash = hash of head) makes every sender's
// archive one unbroken chain; an ack for seq therefore covers everything before it.
#include "broker/ingest/committer.h"

#include <SQLiteCpp/Exception.h>

#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "common/codec.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

using common::Bytes;
using common::RejectReason;

namespace {

Bytes encode(const common::Downlink& d) { return common::encodeDownlink(d); }

constexpr int kWriterCacheKiB = 64 * 1024;

}  // namespace

Committer::Committer(Store& store, const common::Clock& clock, Metrics& metrics)
    : store_(store), clock_(clock), metrics_(metrics) {
  auto& db = store_.db();
  // The write path's connection. A batch of a thousand reports dirties a few MiB of pages: with
  // SQLite's default 2 MiB cache it would spill them to the WAL mid-transaction and read them
  // back. (SQLite's default checkpoint interval, 1000 pages, measured better than 400 or 4000.)
  db.exec("PRAGMA cache_size=" + std::to_string(-kWriterCacheKiB));
  insertFrame_ = std::make_unique<SQLite::Statement>(
      db,
      "INSERT INTO frames(sender, key_id, seq, kind, mode, sent_at, received_at, body_hash, "
      "envelope) VALUES(?,?,?,?,?,?,?,?,?)");
  findFrame_ = std::make_unique<SQLite::Statement>(
      db, "SELECT body_hash FROM frames WHERE sender=? AND key_id=? AND seq=?");
  findHead_ = std::make_unique<SQLite::Statement>(
      db,
      "SELECT seq, body_hash FROM frames WHERE sender=? AND key_id=? ORDER BY seq DESC LIMIT 1");
  upsertStatus_ = std::make_unique<SQLite::Statement>(
      db,
      "INSERT INTO unit_status(mode, code, provider_id, frame_id, sent_at, received_at, "
      "operational, reason, expected_reopen, pupils_enrolled, pupils_present, staff_total, "
      "staff_available, critical_care, special_support, electricity, backup_hours, heating, "
      "water, food, it, telephony, food_days, note, valid_until) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(mode, code) DO UPDATE SET provider_id=excluded.provider_id, "
      "frame_id=excluded.frame_id, sent_at=excluded.sent_at, received_at=excluded.received_at, "
      "operational=excluded.operational, reason=excluded.reason, "
      "expected_reopen=excluded.expected_reopen, pupils_enrolled=excluded.pupils_enrolled, "
      "pupils_present=excluded.pupils_present, staff_total=excluded.staff_total, "
      "staff_available=excluded.staff_available, critical_care=excluded.critical_care, "
      "special_support=excluded.special_support, electricity=excluded.electricity, "
      "backup_hours=excluded.backup_hours, heating=excluded.heating, water=excluded.water, "
      "food=excluded.food, it=excluded.it, telephony=excluded.telephony, "
      "food_days=excluded.food_days, note=excluded.note, valid_until=excluded.valid_until "
      "WHERE excluded.sent_at >= unit_status.sent_at");
}

Committer::Head& Committer::headFor(const std::string& sender, const std::string& keyId) {
  headKey_.assign(sender).append("/").append(keyId);  // reuses its buffer: no allocation per frame
  auto it = heads_.find(headKey_);
  if (it != heads_.end()) return it->second;
  Head h;
  findHead_->reset();
  findHead_->bind(1, sender);
  findHead_->bind(2, keyId);
  if (findHead_->executeStep()) {
    h.seq = static_cast<uint64_t>(findHead_->getColumn(0).getInt64());
    auto c = findHead_->getColumn(1);
    auto* p = static_cast<const uint8_t*>(c.getBlob());
    h.hash.assign(p, p + c.getBytes());
  }
  findHead_->reset();
  return heads_.emplace(headKey_, std::move(h)).first->second;
}

int64_t& Committer::lastHeartbeatFor(const std::string& keyId) {
  auto it = lastHeartbeat_.find(keyId);
  if (it != lastHeartbeat_.end()) return it->second;
  int64_t last = 0;
  SQLite::Statement q(store_.db(), "SELECT last_heartbeat_sent_at FROM keys WHERE key_id=?");
  q.bind(1, keyId);
  if (q.executeStep()) last = q.getColumn(0).getInt64();
  return lastHeartbeat_.emplace(keyId, last).first->second;
}

void Committer::refuse(const std::string& routingId, const Refusal& r, Replies& out) {
  rejectedInBatch_[common::rejectReasonName(r.reason)]++;
  metrics_.rejected[static_cast<size_t>(r.reason) % kRejectReasons]++;
  if (routingId.empty()) return;
  common::RejectMsg msg;
  msg.seq = r.seq;
  msg.reason = r.reason;
  msg.detail = r.detail;
  if (!r.sender.empty() &&
      (r.reason == RejectReason::REPLAY || r.reason == RejectReason::OUT_OF_ORDER)) {
    const Head& h = headFor(r.sender, r.keyIdHex);
    msg.headSeq = h.seq;
    msg.headHash = h.hash;
  }
  out.add(routingId, encode(msg));
}

void Committer::handleHeartbeat(const std::string& routingId, const VerifiedFrame& f,
                                Replies& out) {
  const auto& m = f.message();
  int64_t& last = lastHeartbeatFor(f.keyIdHex());
  if (m.sentAt <= last) {
    refuse(routingId,
           Refusal{RejectReason::REPLAY, "heartbeat not newer than the last one", m.senderId,
                   f.keyIdHex(), 0},
           out);
    return;
  }
  last = m.sentAt;
  metrics_.heartbeats++;
  heartbeatInBatch_[f.keyIdHex()] = m.sentAt;
  lastSeenInBatch_[m.senderId] = f.receivedAt();
  const Head& h = headFor(m.senderId, f.keyIdHex());
  out.add(routingId, encode(common::HeadMsg{h.seq, h.hash, clock_.nowMs()}));
  deliverOutbound(routingId, m.senderId, out);
}

void Committer::handleFrame(const std::string& routingId, const VerifiedFrame& f, Replies& out) {
  const auto& m = f.message();
  noteRoute(m.senderId, routingId);
  if (m.isHeartbeat()) {
    handleHeartbeat(routingId, f, out);
    return;
  }
  Head& head = headFor(m.senderId, f.keyIdHex());
  if (m.seq <= head.seq) {
    findFrame_->reset();
    findFrame_->bind(1, m.senderId);
    findFrame_->bind(2, f.keyIdHex());
    findFrame_->bind(3, static_cast<int64_t>(m.seq));
    bool same = false;
    if (findFrame_->executeStep()) {
      auto c = findFrame_->getColumn(0);
      auto* p = static_cast<const uint8_t*>(c.getBlob());
      same = Bytes(p, p + c.getBytes()) == f.bodyHash();
    }
    findFrame_->reset();
    if (same) {
      metrics_.duplicates++;
      if (f.channel() == Channel::network) lastSeenInBatch_[m.senderId] = f.receivedAt();
      out.ack(routingId, f.keyIdHex(), m.seq, true);
    } else {
      refuse(routingId,
             Refusal{RejectReason::REPLAY,
                     "seq " + std::to_string(m.seq) + " is already taken by another message",
                     m.senderId, f.keyIdHex(), m.seq},
             out);
    }
    return;
  }
  if (m.seq != head.seq + 1 || m.prevHash != head.hash) {
    refuse(routingId,
           Refusal{RejectReason::OUT_OF_ORDER,
                   m.seq != head.seq + 1 ? "expected seq " + std::to_string(head.seq + 1)
                                         : "prevHash does not match the stored chain",
                   m.senderId, f.keyIdHex(), m.seq},
           out);
    return;
  }
  int64_t frameId = 0;
  storeFrame(f, &frameId);
  applyToView(f, frameId);
  head.seq = m.seq;
  head.hash = f.bodyHash();
  metrics_.framesAccepted++;
  // A frame from an offline file says nothing about the link: the provider is not "seen".
  if (f.channel() == Channel::network) lastSeenInBatch_[m.senderId] = f.receivedAt();
  out.ack(routingId, f.keyIdHex(), m.seq, false);
}

// The hot statements bind text without copying (bindNoCopy): every bound value lives in the
// frame or is a static name, and outlives the exec() right after it.
void Committer::storeFrame(const VerifiedFrame& f, int64_t* frameId) {
  const auto& m = f.message();
  auto& q = *insertFrame_;
  q.reset();
  q.bindNoCopy(1, m.senderId);
  q.bindNoCopy(2, f.keyIdHex());
  q.bind(3, static_cast<int64_t>(m.seq));
  q.bindNoCopy(4, common::payloadKindName(m.payload));
  q.bindNoCopy(5, common::modeName(m.mode));
  q.bind(6, m.sentAt);
  q.bind(7, f.receivedAt());
  q.bindNoCopy(8, f.bodyHash().data(), static_cast<int>(f.bodyHash().size()));
  q.bindNoCopy(9, f.envelope().data(), static_cast<int>(f.envelope().size()));
  q.exec();
  *frameId = store_.db().getLastInsertRowid();
}

void Committer::applyToView(const VerifiedFrame& f, int64_t frameId) {
  const auto& m = f.message();
  auto& db = store_.db();
  const char* mode = common::modeName(m.mode);
  if (auto* s = std::get_if<common::UnitStatusMsg>(&m.payload)) {
    auto& q = *upsertStatus_;
    q.reset();
    int i = 1;
    q.bindNoCopy(i++, mode);
    q.bindNoCopy(i++, s->unitCode);
    q.bindNoCopy(i++, m.senderId);
    q.bind(i++, frameId);
    q.bind(i++, m.sentAt);
    q.bind(i++, f.receivedAt());
    q.bindNoCopy(i++, common::operationalName(s->operational));
    q.bindNoCopy(i++, s->reason);
    q.bind(i++, s->expectedReopen);
    q.bind(i++, s->pupilsEnrolled);
    q.bind(i++, s->pupilsPresent);
    q.bind(i++, s->staffTotal);
    q.bind(i++, s->staffAvailable);
    q.bindNoCopy(i++, common::offeredName(s->criticalCare));
    q.bindNoCopy(i++, common::offeredName(s->specialSupport));
    q.bindNoCopy(i++, common::electricityName(s->electricity));
    q.bind(i++, s->backupHours);
    q.bindNoCopy(i++, common::supplyName(s->heating));
    q.bindNoCopy(i++, common::supplyName(s->water));
    q.bindNoCopy(i++, common::supplyName(s->food));
    q.bindNoCopy(i++, common::supplyName(s->it));
    q.bindNoCopy(i++, common::supplyName(s->telephony));
    q.bind(i++, s->foodDays);
    q.bindNoCopy(i++, s->note);
    q.bind(i++, s->validUntil);
    q.exec();
  } else if (auto* c = std::get_if<common::CapacityMsg>(&m.payload)) {
    SQLite::Statement newer(db, "SELECT sent_at FROM capacity_reports WHERE mode=? AND code=?");
    newer.bind(1, mode);
    newer.bind(2, c->unitCode);
    if (newer.executeStep() && newer.getColumn(0).getInt64() > m.sentAt) return;
    SQLite::Statement del(db, "DELETE FROM capacity WHERE mode=? AND code=?");
    del.bind(1, mode);
    del.bind(2, c->unitCode);
    del.exec();
    SQLite::Statement ins(db,
                          "INSERT OR REPLACE INTO capacity(mode, code, form, year, enrolled, "
                          "seats_now, seats_72h, sent_at, frame_id) VALUES(?,?,?,?,?,?,?,?,?)");
    for (const auto& e : c->entries) {
      ins.reset();
      ins.bind(1, mode);
      ins.bind(2, c->unitCode);
      ins.bind(3, common::schoolFormName(e.form));
      ins.bind(4, static_cast<int>(e.year));
      ins.bind(5, e.enrolled);
      ins.bind(6, e.seatsNow);
      ins.bind(7, e.seats72h);
      ins.bind(8, m.sentAt);
      ins.bind(9, frameId);
      ins.exec();
    }
    SQLite::Statement rep(db,
                          "INSERT INTO capacity_reports(mode, code, sent_at) VALUES(?,?,?) "
                          "ON CONFLICT(mode, code) DO UPDATE SET sent_at=excluded.sent_at");
    rep.bind(1, mode);
    rep.bind(2, c->unitCode);
    rep.bind(3, m.sentAt);
    rep.exec();
  } else if (auto* co = std::get_if<common::ContinuityMsg>(&m.payload)) {
    SQLite::Statement q(db,
                        "INSERT INTO continuity(mode, provider_id, state, from_date, note, "
                        "sent_at, frame_id) VALUES(?,?,?,?,?,?,?) "
                        "ON CONFLICT(mode, provider_id) DO UPDATE SET state=excluded.state, "
                        "from_date=excluded.from_date, note=excluded.note, "
                        "sent_at=excluded.sent_at, frame_id=excluded.frame_id "
                        "WHERE excluded.sent_at >= continuity.sent_at");
    q.bind(1, mode);
    q.bind(2, m.senderId);
    q.bind(3, common::continuityName(co->state));
    q.bind(4, co->fromDate);
    q.bind(5, co->note);
    q.bind(6, m.sentAt);
    q.bind(7, frameId);
    q.exec();
  } else if (auto* kr = std::get_if<common::KeyRotationMsg>(&m.payload)) {
    // Announced under the old key: the new key joins the same provider. The old key stays
    // valid until the operator revokes it, so a rotation never locks a provider out.
    SQLite::Statement q(db,
                        "INSERT OR IGNORE INTO keys(key_id, provider_id, sign_public, "
                        "curve_public, enrolled_at) VALUES(?,?,?,?,?)");
    q.bind(1, common::toHex(kr->newKeyId));
    q.bind(2, m.senderId);
    q.bind(3, kr->newSignPublic.data(), 32);
    q.bind(4, kr->newCurvePublic.data(), 32);
    q.bind(5, f.receivedAt());
    q.exec();
  } else if (auto* ra = std::get_if<common::ReadinessAnswerMsg>(&m.payload)) {
    recordReadinessAnswer(db, m.senderId, *ra, m.sentAt, f.receivedAt(), frameId);
  } else if (auto* da = std::get_if<common::DirectiveAckMsg>(&m.payload)) {
    recordDirectiveAck(db, m.senderId, *da, f.receivedAt());
  }
}

void Committer::deliverOutbound(const std::string& routingId, const std::string& provider,
                                Replies& out) {
  // City messages queued for this provider go out behind the heartbeat's reply; one not yet
  // answered is sent again after kOutboundResendMs (the agent ignores copies it has).
  const int64_t now = clock_.nowMs();
  SQLite::Statement q(store_.db(),
                      "SELECT id, envelope FROM outbound WHERE provider_id=? AND delivered_at IS "
                      "NULL AND (last_sent_at IS NULL OR last_sent_at<?) ORDER BY id LIMIT 32");
  q.bind(1, provider);
  q.bind(2, now - kOutboundResendMs);
  std::vector<int64_t> sent;
  while (q.executeStep()) {
    auto c = q.getColumn(1);
    auto* p = static_cast<const uint8_t*>(c.getBlob());
    out.add(routingId, encode(common::CityEnvelopeMsg{Bytes(p, p + c.getBytes())}));
    sent.push_back(q.getColumn(0).getInt64());
  }
  if (sent.empty()) return;
  SQLite::Statement u(store_.db(), "UPDATE outbound SET last_sent_at=? WHERE id=?");
  for (int64_t id : sent) {
    u.reset();
    u.bind(1, now);
    u.bind(2, id);
    u.exec();
  }
}

void Committer::noteRoute(const std::string& provider, const std::string& routingId) {
  if (routingId.empty()) return;
  Route& r = routes_[provider];
  r.routingId = routingId;
  r.lastFrameMs = clock_.nowMs();
}

std::vector<Reply> Committer::pushNewOutbound() {
  // The push is opportunistic: the route may belong to an agent that stopped a moment ago, so
  // a pushed row is not marked as sent. The heartbeat path (deliverOutbound) stays the
  // guarantee: an agent that reconnects gets it behind its first heartbeat, and one that was
  // connected gets at most one more copy, which it ignores.
  std::vector<Reply> out;
  auto& db = store_.db();
  try {
    const int64_t newest = db.execAndGet("SELECT coalesce(max(id), 0) FROM outbound").getInt64();
    if (pushedOutboundId_ < 0) pushedOutboundId_ = newest;  // older rows: the heartbeat path
    if (newest <= pushedOutboundId_) return out;
    const int64_t now = clock_.nowMs();
    SQLite::Statement q(db,
                        "SELECT provider_id, envelope FROM outbound WHERE id>? AND id<=? AND "
                        "delivered_at IS NULL ORDER BY id");
    q.bind(1, pushedOutboundId_);
    q.bind(2, newest);
    while (q.executeStep()) {
      auto route = routes_.find(q.getColumn(0).getString());
      if (route == routes_.end() || now - route->second.lastFrameMs > kRouteFreshMs) continue;
      auto c = q.getColumn(1);
      auto* p = static_cast<const uint8_t*>(c.getBlob());
      out.push_back(
          {route->second.routingId, encode(common::CityEnvelopeMsg{Bytes(p, p + c.getBytes())})});
    }
    pushedOutboundId_ = newest;
  } catch (const std::exception& e) {
    out.clear();  // heartbeats deliver it
    common::logWarn("commit", std::string("cannot push queued city messages: ") + e.what());
  }
  return out;
}

void Committer::flushCounters() {
  auto& db = store_.db();
  if (!rejectedInBatch_.empty()) {
    SQLite::Statement q(db,
                        "INSERT INTO rejections(reason, count) VALUES(?,?) "
                        "ON CONFLICT(reason) DO UPDATE SET count=count+excluded.count");
    for (const auto& [reason, n] : rejectedInBatch_) {
      q.reset();
      q.bind(1, reason);
      q.bind(2, n);
      q.exec();
    }
  }
  if (!lastSeenInBatch_.empty()) {
    SQLite::Statement q(db,
                        "UPDATE providers SET last_seen=max(coalesce(last_seen,0), ?) WHERE id=?");
    for (const auto& [provider, at] : lastSeenInBatch_) {
      q.reset();
      q.bind(1, at);
      q.bind(2, provider);
      q.exec();
    }
  }
  if (!heartbeatInBatch_.empty()) {
    SQLite::Statement q(db, "UPDATE keys SET last_heartbeat_sent_at=? WHERE key_id=?");
    for (const auto& [key, at] : heartbeatInBatch_) {
      q.reset();
      q.bind(1, at);
      q.bind(2, key);
      q.exec();
    }
  }
}

void Committer::Replies::add(const std::string& routingId, Bytes downlink) {
  if (routingId.empty()) return;
  openAck_.erase(routingId);  // an ack after this reply must not move in front of it
  out_.push_back({routingId, std::move(downlink)});
}

void Committer::Replies::ack(const std::string& routingId, const std::string& keyId, uint64_t seq,
                             bool duplicate) {
  if (routingId.empty()) return;
  auto open = openAck_.find(routingId);
  // An ack's seq is read under the agent's current key; during a key rotation one connection
  // carries two chains, whose acks must stay apart.
  if (open != openAck_.end() && acks_[open->second].keyId == keyId) {
    common::AckMsg& merged = acks_[open->second].ack;
    if (seq >= merged.seq) merged = common::AckMsg{seq, duplicate};
    return;
  }
  openAck_[routingId] = acks_.size();
  acks_.push_back({out_.size(), keyId, common::AckMsg{seq, duplicate}});
  out_.push_back({routingId, {}});
}

std::vector<Reply> Committer::Replies::finish() {
  for (const auto& pending : acks_) out_[pending.reply].downlink = encode(pending.ack);
  acks_.clear();
  openAck_.clear();
  return std::move(out_);
}

std::vector<Reply> Committer::apply(std::vector<WorkItem>& batch) {
  Replies out;
  rejectedInBatch_.clear();
  lastSeenInBatch_.clear();
  heartbeatInBatch_.clear();
  int64_t started = common::monotonicMs();
  try {
    store_.db().exec("BEGIN IMMEDIATE");
    // Inside the write lock: if another connection stored frames since our last batch (an
    // offline import while serving), the cached chain heads may be behind the database.
    const int64_t version = store_.db().execAndGet("PRAGMA data_version").getInt64();
    if (version != dataVersion_) {
      heads_.clear();
      lastHeartbeat_.clear();
      dataVersion_ = version;
    }
    for (auto& item : batch) {
      metrics_.framesReceived++;
      if (auto* f = std::get_if<VerifiedFrame>(&item.admission)) {
        handleFrame(item.routingId, *f, out);
      } else {
        refuse(item.routingId, std::get<Refusal>(item.admission), out);
      }
    }
    flushCounters();
    store_.db().exec("COMMIT");
  } catch (const std::exception& e) {
    // A statement whose step failed keeps that error until reset, and reset() would throw it
    // again in the next batch; clear it here so only this batch is lost.
    for (auto* s : {insertFrame_.get(), findFrame_.get(), findHead_.get(), upsertStatus_.get()}) {
      s->tryReset();
    }
    try {
      store_.db().exec("ROLLBACK");
    } catch (const std::exception&) {
      // The transaction may already be gone; nothing more to undo.
    }
    heads_.clear();
    lastHeartbeat_.clear();
    metrics_.commitFailures++;
    common::logError("commit", std::string("batch not stored, nothing acknowledged: ") + e.what());
    return {};
  }
  metrics_.observeCommit(common::monotonicMs() - started, batch.size());
  return out.finish();
}

}  // namespace samband::broker
