// Cap'n Proto encoding/decoding of Samband frames. The only file that touches generated
// readers/builders; everything else uses common/messages.h. Library exceptions stop here.
#include "common/codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sodium.h>

#include <cstring>

#include "common/ids.h"

namespace samband::common {

namespace {

// An ack, reject or head fits in a few words; capnp's default first segment is 8 KiB, allocated
// and zeroed for every downlink. A city envelope simply grows the message.
constexpr unsigned kDownlinkFirstSegmentWords = 32;

capnp::ReaderOptions readerOptions(size_t frameBytes) {
  capnp::ReaderOptions o;
  // Every legal message is read exactly once; twice the frame size in words is ample and
  // bounds amplification through shared pointers.
  o.traversalLimitInWords = (frameBytes / 8 + 1) * 2;
  o.nestingLimit = 8;
  return o;
}

// Copies untrusted bytes into word-aligned memory (Cap'n Proto requires alignment).
kj::Array<capnp::word> alignedCopy(const uint8_t* data, size_t size) {
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, words.size() * sizeof(capnp::word));
  return words;
}

Bytes toBytes(capnp::Data::Reader d) { return Bytes(d.begin(), d.end()); }

template <typename E>
bool enumInRange(E value, E max) {
  return static_cast<uint16_t>(value) <= static_cast<uint16_t>(max);
}

// Collects the first validation problem; later checks are skipped once one is found.
class Checker {
 public:
  void require(bool ok, const char* what) {
    if (!ok && problem_.empty()) problem_ = what;
  }
  void text(const std::string& s, size_t max, const char* what) {
    require(s.size() <= max && isCleanText(s), what);
  }
  void range(int64_t v, int64_t lo, int64_t hi, const char* what) {
    require(v >= lo && v <= hi, what);
  }
  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }

 private:
  std::string problem_;
};

void checkStatus(Checker& c, const UnitStatusMsg& s) {
  c.require(isUnitCode(s.unitCode), "unit_status.unitCode must be 8 digits");
  c.require(enumInRange(s.operational, OperationalState::RELOCATED), "unit_status.operational");
  c.text(s.reason, kMaxShortText, "unit_status.reason too long or not clean UTF-8");
  c.range(s.expectedReopen, 0, INT64_MAX, "unit_status.expectedReopen");
  c.range(s.pupilsEnrolled, -1, 100000, "unit_status.pupilsEnrolled out of range");
  c.range(s.pupilsPresent, -1, 100000, "unit_status.pupilsPresent out of range");
  c.range(s.staffTotal, -1, 10000, "unit_status.staffTotal out of range");
  c.range(s.staffAvailable, -1, 10000, "unit_status.staffAvailable out of range");
  c.require(enumInRange(s.criticalCare, Offered::YES), "unit_status.criticalCare");
  c.require(enumInRange(s.specialSupport, Offered::YES), "unit_status.specialSupport");
  c.require(enumInRange(s.electricity, Electricity::NONE), "unit_status.electricity");
  c.range(s.backupHours, -1, 100000, "unit_status.backupHours out of range");
  for (Supply x : {s.heating, s.water, s.food, s.it, s.telephony}) {
    c.require(enumInRange(x, Supply::DOWN), "unit_status supply state out of range");
  }
  c.range(s.foodDays, -1, 3650, "unit_status.foodDays out of range");
  c.text(s.note, kMaxNoteText, "unit_status.note too long or not clean UTF-8");
  c.range(s.validUntil, 0, INT64_MAX, "unit_status.validUntil");
}

void checkPayload(Checker& c, const Payload& p) {
  if (auto* hb = std::get_if<HeartbeatMsg>(&p)) {
    c.require(enumInRange(hb->level, ReadinessLevel::HIGHEST), "heartbeat.level");
  } else if (auto* s = std::get_if<UnitStatusMsg>(&p)) {
    checkStatus(c, *s);
  } else if (auto* cap = std::get_if<CapacityMsg>(&p)) {
    c.require(isUnitCode(cap->unitCode), "capacity.unitCode must be 8 digits");
    c.require(cap->entries.size() <= kMaxCapacityEntries, "capacity has too many entries");
    for (const auto& e : cap->entries) {
      c.require(enumInRange(e.form, SchoolForm::ANPASSAD_GYMNASIESKOLA), "capacity.form");
      c.range(e.year, 0, 13, "capacity.year out of range");
      c.range(e.enrolled, 0, 100000, "capacity.enrolled out of range");
      c.range(e.seatsNow, 0, 100000, "capacity.seatsNow out of range");
      c.range(e.seats72h, 0, 100000, "capacity.seats72h out of range");
    }
  } else if (auto* co = std::get_if<ContinuityMsg>(&p)) {
    c.require(enumInRange(co->state, ContinuityState::CANNOT_CONTINUE), "continuity.state");
    c.range(co->fromDate, 0, INT64_MAX, "continuity.fromDate");
    c.text(co->note, kMaxNoteText, "continuity.note too long or not clean UTF-8");
  } else if (auto* ra = std::get_if<ReadinessAnswerMsg>(&p)) {
    c.text(ra->checkId, kMaxIdText, "readiness_answer.checkId");
    c.require(!ra->checkId.empty(), "readiness_answer.checkId empty");
    c.require(ra->results.size() <= kMaxSelfTests, "readiness_answer has too many results");
    for (const auto& t : ra->results) {
      c.text(t.name, kMaxIdText, "self-test name");
      c.text(t.detail, kMaxShortText, "self-test detail");
    }
  } else if (auto* da = std::get_if<DirectiveAckMsg>(&p)) {
    c.text(da->directiveId, kMaxIdText, "directive_ack.directiveId");
    c.require(!da->directiveId.empty(), "directive_ack.directiveId empty");
    c.require(enumInRange(da->kind, AckKind::ACKNOWLEDGED), "directive_ack.kind");
  } else if (auto* rc = std::get_if<ReadinessCheckMsg>(&p)) {
    c.text(rc->checkId, kMaxIdText, "readiness_check.checkId");
    c.require(!rc->checkId.empty(), "readiness_check.checkId empty");
  } else if (auto* d = std::get_if<DirectiveMsg>(&p)) {
    c.text(d->directiveId, kMaxIdText, "directive.directiveId");
    c.require(!d->directiveId.empty(), "directive.directiveId empty");
    c.text(d->text, kMaxDirectiveText, "directive.text too long or not clean UTF-8");
    c.require(enumInRange(d->level, ReadinessLevel::HIGHEST), "directive.level");
    c.require(d->recipients.size() <= kMaxRecipients, "directive has too many recipients");
    for (const auto& r : d->recipients) c.require(isProviderId(r), "directive.recipients");
  } else if (auto* kr = std::get_if<KeyRotationMsg>(&p)) {
    c.require(kr->newKeyId.size() == kKeyIdBytes, "key_rotation.newKeyId");
    c.require(kr->newSignPublic.size() == 32, "key_rotation.newSignPublic");
    c.require(kr->newCurvePublic.size() == 32, "key_rotation.newCurvePublic");
  }
}

std::string readText(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

UnitStatusMsg readStatus(wire::UnitStatus::Reader r) {
  UnitStatusMsg s;
  s.unitCode = readText(r.getUnitCode());
  s.operational = r.getOperational();
  s.reason = readText(r.getReason());
  s.expectedReopen = r.getExpectedReopen();
  s.pupilsEnrolled = r.getPupilsEnrolled();
  s.pupilsPresent = r.getPupilsPresent();
  s.staffTotal = r.getStaffTotal();
  s.staffAvailable = r.getStaffAvailable();
  s.criticalCare = r.getCriticalCare();
  s.specialSupport = r.getSpecialSupport();
  s.electricity = r.getElectricity();
  s.backupHours = r.getBackupHours();
  s.heating = r.getHeating();
  s.water = r.getWater();
  s.food = r.getFood();
  s.it = r.getIt();
  s.telephony = r.getTelephony();
  s.foodDays = r.getFoodDays();
  s.note = readText(r.getNote());
  s.validUntil = r.getValidUntil();
  return s;
}

void writeStatus(wire::UnitStatus::Builder b, const UnitStatusMsg& s) {
  b.setUnitCode(s.unitCode);
  b.setOperational(s.operational);
  b.setReason(s.reason);
  b.setExpectedReopen(s.expectedReopen);
  b.setPupilsEnrolled(s.pupilsEnrolled);
  b.setPupilsPresent(s.pupilsPresent);
  b.setStaffTotal(s.staffTotal);
  b.setStaffAvailable(s.staffAvailable);
  b.setCriticalCare(s.criticalCare);
  b.setSpecialSupport(s.specialSupport);
  b.setElectricity(s.electricity);
  b.setBackupHours(s.backupHours);
  b.setHeating(s.heating);
  b.setWater(s.water);
  b.setFood(s.food);
  b.setIt(s.it);
  b.setTelephony(s.telephony);
  b.setFoodDays(s.foodDays);
  b.setNote(s.note);
  b.setValidUntil(s.validUntil);
}

Result<Payload> readPayload(wire::Body::Reader r) {
  switch (r.which()) {
    case wire::Body::HEARTBEAT: {
      auto h = r.getHeartbeat();
      return Payload(HeartbeatMsg{h.getHeadSeq(), h.getOutboxPending(), h.getLevel()});
    }
    case wire::Body::UNIT_STATUS:
      return Payload(readStatus(r.getUnitStatus()));
    case wire::Body::CAPACITY: {
      auto c = r.getCapacity();
      CapacityMsg m;
      m.unitCode = readText(c.getUnitCode());
      auto entries = c.getEntries();
      if (entries.size() > kMaxCapacityEntries) return invalidInput("too many capacity entries");
      for (auto e : entries) {
        m.entries.push_back(
            {e.getForm(), e.getYear(), e.getEnrolled(), e.getSeatsNow(), e.getSeats72h()});
      }
      return Payload(std::move(m));
    }
    case wire::Body::CONTINUITY: {
      auto c = r.getContinuity();
      return Payload(ContinuityMsg{c.getState(), c.getFromDate(), readText(c.getNote())});
    }
    case wire::Body::READINESS_ANSWER: {
      auto a = r.getReadinessAnswer();
      ReadinessAnswerMsg m;
      m.checkId = readText(a.getCheckId());
      auto results = a.getResults();
      if (results.size() > kMaxSelfTests) return invalidInput("too many self-test results");
      for (auto t : results) {
        m.results.push_back({readText(t.getName()), t.getPassed(), readText(t.getDetail())});
      }
      m.confirmed = a.getConfirmed();
      m.receivedAt = a.getReceivedAt();
      return Payload(std::move(m));
    }
    case wire::Body::DIRECTIVE_ACK: {
      auto a = r.getDirectiveAck();
      return Payload(DirectiveAckMsg{readText(a.getDirectiveId()), a.getKind()});
    }
    case wire::Body::READINESS_CHECK: {
      auto c = r.getReadinessCheck();
      return Payload(ReadinessCheckMsg{readText(c.getCheckId()), c.getIssuedAt(), c.getDeadline(),
                                       c.getRequireConfirmation()});
    }
    case wire::Body::DIRECTIVE: {
      auto d = r.getDirective();
      DirectiveMsg m;
      m.directiveId = readText(d.getDirectiveId());
      m.number = d.getNumber();
      m.text = readText(d.getText());
      m.level = d.getLevel();
      m.requireAck = d.getRequireAck();
      m.expiresAt = d.getExpiresAt();
      auto rec = d.getRecipients();
      if (rec.size() > kMaxRecipients) return invalidInput("too many directive recipients");
      for (auto t : rec) m.recipients.push_back(readText(t));
      return Payload(std::move(m));
    }
    case wire::Body::KEY_ROTATION: {
      auto k = r.getKeyRotation();
      return Payload(KeyRotationMsg{toBytes(k.getNewKeyId()), toBytes(k.getNewSignPublic()),
                                    toBytes(k.getNewCurvePublic())});
    }
  }
  return invalidInput("unknown body kind (union tag " +
                      std::to_string(static_cast<unsigned>(r.which())) + ")");
}

void writePayload(wire::Body::Builder b, const Payload& p) {
  if (auto* hb = std::get_if<HeartbeatMsg>(&p)) {
    auto h = b.initHeartbeat();
    h.setHeadSeq(hb->headSeq);
    h.setOutboxPending(hb->outboxPending);
    h.setLevel(hb->level);
  } else if (auto* s = std::get_if<UnitStatusMsg>(&p)) {
    writeStatus(b.initUnitStatus(), *s);
  } else if (auto* cap = std::get_if<CapacityMsg>(&p)) {
    auto c = b.initCapacity();
    c.setUnitCode(cap->unitCode);
    auto entries = c.initEntries(static_cast<unsigned>(cap->entries.size()));
    for (unsigned i = 0; i < entries.size(); ++i) {
      const auto& e = cap->entries[i];
      entries[i].setForm(e.form);
      entries[i].setYear(e.year);
      entries[i].setEnrolled(e.enrolled);
      entries[i].setSeatsNow(e.seatsNow);
      entries[i].setSeats72h(e.seats72h);
    }
  } else if (auto* co = std::get_if<ContinuityMsg>(&p)) {
    auto c = b.initContinuity();
    c.setState(co->state);
    c.setFromDate(co->fromDate);
    c.setNote(co->note);
  } else if (auto* ra = std::get_if<ReadinessAnswerMsg>(&p)) {
    auto a = b.initReadinessAnswer();
    a.setCheckId(ra->checkId);
    auto results = a.initResults(static_cast<unsigned>(ra->results.size()));
    for (unsigned i = 0; i < results.size(); ++i) {
      results[i].setName(ra->results[i].name);
      results[i].setPassed(ra->results[i].passed);
      results[i].setDetail(ra->results[i].detail);
    }
    a.setConfirmed(ra->confirmed);
    a.setReceivedAt(ra->receivedAt);
  } else if (auto* da = std::get_if<DirectiveAckMsg>(&p)) {
    auto a = b.initDirectiveAck();
    a.setDirectiveId(da->directiveId);
    a.setKind(da->kind);
  } else if (auto* rc = std::get_if<ReadinessCheckMsg>(&p)) {
    auto c = b.initReadinessCheck();
    c.setCheckId(rc->checkId);
    c.setIssuedAt(rc->issuedAt);
    c.setDeadline(rc->deadline);
    c.setRequireConfirmation(rc->requireConfirmation);
  } else if (auto* d = std::get_if<DirectiveMsg>(&p)) {
    auto m = b.initDirective();
    m.setDirectiveId(d->directiveId);
    m.setNumber(d->number);
    m.setText(d->text);
    m.setLevel(d->level);
    m.setRequireAck(d->requireAck);
    m.setExpiresAt(d->expiresAt);
    auto rec = m.initRecipients(static_cast<unsigned>(d->recipients.size()));
    for (unsigned i = 0; i < rec.size(); ++i) rec.set(i, d->recipients[i]);
  } else if (auto* kr = std::get_if<KeyRotationMsg>(&p)) {
    auto k = b.initKeyRotation();
    k.setNewKeyId(kj::arrayPtr(kr->newKeyId.data(), kr->newKeyId.size()));
    k.setNewSignPublic(kj::arrayPtr(kr->newSignPublic.data(), kr->newSignPublic.size()));
    k.setNewCurvePublic(kj::arrayPtr(kr->newCurvePublic.data(), kr->newCurvePublic.size()));
  }
}

Bytes flatten(capnp::MessageBuilder& builder) {
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

// At most `max` bytes of `s`, cut before a UTF-8 continuation byte so no character is split.
std::string utf8Prefix(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  return s.substr(0, cut);
}

Status checkFrameShape(size_t size) {
  if (size == 0) return invalidInput("empty frame");
  if (size > kMaxFrameBytes) return invalidInput("frame larger than the limit");
  if (size % sizeof(capnp::word) != 0) return invalidInput("frame is not word-aligned");
  return {};
}

}  // namespace

bool isCleanText(const std::string& s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates, out-of-range code points and the C1 controls
    // (U+0080..U+009F; U+009B is a one-character CSI to many terminals).
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f)) {
      return false;
    }
    i += len;
  }
  return true;
}

Status validate(const Message& m) {
  Checker c;
  c.require(m.senderId == kCitySenderId || isProviderId(m.senderId),
            "senderId must be an organisation number NNNNNN-NNNN or 'city'");
  c.require(m.keyId.size() == kKeyIdBytes, "keyId must be 8 bytes");
  c.require(static_cast<uint16_t>(m.mode) <= static_cast<uint16_t>(Mode::TEST), "mode");
  c.require(m.sentAt > 0, "sentAt must be set");
  if (m.isHeartbeat()) {
    c.require(m.seq == 0 && m.prevHash.empty(), "heartbeats carry seq 0 and no prevHash");
  } else {
    c.require(m.seq >= 1, "seq must be at least 1");
    c.require(m.seq > INT64_MAX / 2 ? false : true, "seq out of range");
    c.require(m.seq == 1 ? m.prevHash.empty() : m.prevHash.size() == 32,
              "prevHash must be empty for seq 1 and 32 bytes after");
  }
  checkPayload(c, m.payload);
  if (!c.ok()) return invalidInput(c.problem());
  return {};
}

Bytes encodeBody(const Message& m) {
  capnp::MallocMessageBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  b.setSenderId(m.senderId);
  b.setKeyId(kj::arrayPtr(m.keyId.data(), m.keyId.size()));
  b.setSeq(m.seq);
  b.setPrevHash(kj::arrayPtr(m.prevHash.data(), m.prevHash.size()));
  b.setSentAt(m.sentAt);
  b.setMode(m.mode);
  writePayload(b, m.payload);
  return flatten(builder);
}

Result<Message> decodeBody(const uint8_t* data, size_t size) {
  if (Status s = checkFrameShape(size); !s) return s.error();
  try {
    auto words = alignedCopy(data, size);
    capnp::FlatArrayMessageReader reader(words, readerOptions(size));
    auto r = reader.getRoot<wire::Body>();
    Message m;
    m.senderId = readText(r.getSenderId());
    m.keyId = toBytes(r.getKeyId());
    m.seq = r.getSeq();
    m.prevHash = toBytes(r.getPrevHash());
    m.sentAt = r.getSentAt();
    m.mode = r.getMode();
    auto payload = readPayload(r);
    if (!payload) return payload.error();
    m.payload = std::move(payload).value();
    if (Status s = validate(m); !s) return s.error();
    return m;
  } catch (const kj::Exception& e) {
    return invalidInput("body does not decode: " + std::string(e.getDescription().cStr()));
  } catch (const std::exception& e) {
    return invalidInput(std::string("body does not decode: ") + e.what());
  }
}

Bytes encodeEnvelope(const Bytes& body, const Bytes& signature) {
  capnp::MallocMessageBuilder builder;
  auto e = builder.initRoot<wire::Envelope>();
  e.setBody(kj::arrayPtr(body.data(), body.size()));
  e.setSignature(kj::arrayPtr(signature.data(), signature.size()));
  return flatten(builder);
}

Result<EnvelopeParts> decodeEnvelope(const uint8_t* data, size_t size) {
  if (Status s = checkFrameShape(size); !s) return s.error();
  try {
    auto words = alignedCopy(data, size);
    capnp::FlatArrayMessageReader reader(words, readerOptions(size));
    auto e = reader.getRoot<wire::Envelope>();
    EnvelopeParts parts{toBytes(e.getBody()), toBytes(e.getSignature())};
    if (parts.signature.size() != crypto_sign_BYTES) {
      return invalidInput("signature must be 64 bytes");
    }
    if (parts.body.empty()) return invalidInput("empty body");
    return parts;
  } catch (const kj::Exception& e) {
    return invalidInput("envelope does not decode: " + std::string(e.getDescription().cStr()));
  } catch (const std::exception& e) {
    return invalidInput(std::string("envelope does not decode: ") + e.what());
  }
}

Bytes bodySigningInput(const Bytes& body) {
  Bytes buf(sizeof kBodySignDomain + body.size());
  std::memcpy(buf.data(), kBodySignDomain, sizeof kBodySignDomain);
  if (!body.empty()) std::memcpy(buf.data() + sizeof kBodySignDomain, body.data(), body.size());
  return buf;
}

Bytes signBody(const Identity& identity, const Bytes& body) {
  const Bytes buf = bodySigningInput(body);
  return identity.sign(buf.data(), buf.size());
}

bool verifyBody(const PublicKey& signPublic, const Bytes& body, const Bytes& signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  const Bytes buf = bodySigningInput(body);
  return crypto_sign_verify_detached(signature.data(), buf.data(), buf.size(), signPublic.data()) ==
         0;
}

KeyRotationMsg keyRotationTo(const Identity& next) {
  KeyRotationMsg k;
  k.newKeyId = next.keyId();
  k.newSignPublic.assign(next.signPublic().begin(), next.signPublic().end());
  k.newCurvePublic.assign(next.curvePublic().begin(), next.curvePublic().end());
  return k;
}

SealedFrame seal(const Identity& identity, const Message& message) {
  SealedFrame f;
  f.body = encodeBody(message);
  f.bodyHash = hash256(f.body);
  f.envelope = encodeEnvelope(f.body, signBody(identity, f.body));
  return f;
}

Bytes encodeDownlink(const Downlink& d) {
  capnp::MallocMessageBuilder builder(kDownlinkFirstSegmentWords);
  auto b = builder.initRoot<wire::Downlink>();
  if (auto* a = std::get_if<AckMsg>(&d)) {
    auto x = b.initAck();
    x.setSeq(a->seq);
    x.setDuplicate(a->duplicate);
  } else if (auto* r = std::get_if<RejectMsg>(&d)) {
    auto x = b.initReject();
    x.setSeq(r->seq);
    x.setReason(r->reason);
    x.setHeadSeq(r->headSeq);
    x.setHeadHash(kj::arrayPtr(r->headHash.data(), r->headHash.size()));
    x.setDetail(utf8Prefix(r->detail, kMaxShortText));
  } else if (auto* h = std::get_if<HeadMsg>(&d)) {
    auto x = b.initHead();
    x.setHeadSeq(h->headSeq);
    x.setHeadHash(kj::arrayPtr(h->headHash.data(), h->headHash.size()));
    x.setServerTime(h->serverTime);
  } else if (auto* c = std::get_if<CityEnvelopeMsg>(&d)) {
    // The city envelope is embedded as its decoded parts so the agent can verify them.
    auto parts = decodeEnvelope(c->envelope);
    auto x = b.initCity();
    if (parts) {
      x.setBody(kj::arrayPtr(parts->body.data(), parts->body.size()));
      x.setSignature(kj::arrayPtr(parts->signature.data(), parts->signature.size()));
    }
  }
  return flatten(builder);
}

Result<Downlink> decodeDownlink(const uint8_t* data, size_t size) {
  if (Status s = checkFrameShape(size); !s) return s.error();
  try {
    auto words = alignedCopy(data, size);
    capnp::FlatArrayMessageReader reader(words, readerOptions(size));
    auto r = reader.getRoot<wire::Downlink>();
    switch (r.which()) {
      case wire::Downlink::ACK:
        return Downlink(AckMsg{r.getAck().getSeq(), r.getAck().getDuplicate()});
      case wire::Downlink::REJECT: {
        auto x = r.getReject();
        if (static_cast<uint16_t>(x.getReason()) > static_cast<uint16_t>(RejectReason::INTERNAL)) {
          return invalidInput("reject reason out of range");
        }
        std::string detail = readText(x.getDetail());
        if (!isCleanText(detail) || detail.size() > kMaxShortText) detail = "(unreadable detail)";
        return Downlink(
            RejectMsg{x.getSeq(), x.getReason(), x.getHeadSeq(), toBytes(x.getHeadHash()), detail});
      }
      case wire::Downlink::HEAD: {
        auto x = r.getHead();
        return Downlink(HeadMsg{x.getHeadSeq(), toBytes(x.getHeadHash()), x.getServerTime()});
      }
      case wire::Downlink::CITY: {
        auto x = r.getCity();
        Bytes body = toBytes(x.getBody());
        Bytes sig = toBytes(x.getSignature());
        return Downlink(CityEnvelopeMsg{encodeEnvelope(body, sig)});
      }
    }
    return invalidInput("unknown downlink kind");
  } catch (const kj::Exception& e) {
    return invalidInput("downlink does not decode: " + std::string(e.getDescription().cStr()));
  }
}

const char* payloadKindName(const Payload& p) {
  switch (p.index()) {
    case 0:
      return "heartbeat";
    case 1:
      return "unit_status";
    case 2:
      return "capacity";
    case 3:
      return "continuity";
    case 4:
      return "readiness_answer";
    case 5:
      return "directive_ack";
    case 6:
      return "readiness_check";
    case 7:
      return "directive";
    case 8:
      return "key_rotation";
  }
  return "unknown";
}

}  // namespace samband::common
