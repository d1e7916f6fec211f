// Cap'n Proto encoding/decoding of bodies and envelopes, the decode gate for untrusted bytes.
// With wire_frame.cpp, wire_payload.cpp and downlink.cpp the only code that touches generated
// readers/builders; everything else uses common/messages.h. Library exceptions stop here.
#include "common/codec.h"

#include <kj/exception.h>
#include <sodium.h>

#include <cstdint>
#include <string>

#include "common/message_rules.h"
#include "common/wire_frame.h"
#include "common/wire_payload.h"

namespace samband::common {

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

namespace {

// The words of a frame: `data` itself when it is word-aligned (as a std::vector's or SQLite's
// buffer usually is, and a Data field inside an aligned frame always is), else an aligned copy
// kept in `copy`. Cap'n Proto reads only through the returned pointer.
kj::ArrayPtr<const capnp::word> frameWords(const uint8_t* data, size_t size,
                                           kj::Array<capnp::word>& copy) {
  if (reinterpret_cast<uintptr_t>(data) % alignof(capnp::word) == 0) {
    return kj::arrayPtr(reinterpret_cast<const capnp::word*>(data), size / sizeof(capnp::word));
  }
  copy = alignedCopy(data, size);
  return copy.asPtr();
}

}  // namespace

Result<Message> decodeBody(const uint8_t* data, size_t size) {
  if (Status s = checkFrameShape(size); !s) return s.error();
  try {
    kj::Array<capnp::word> copy;
    capnp::FlatArrayMessageReader reader(frameWords(data, size, copy), readerOptions(size));
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
  // The first segment sized to the message instead of Cap'n Proto's default 1,024 words, which
  // it allocates zeroed: that calloc was most of the cost of an envelope (the archive rebuilds
  // one per batched report it reads, docs/performance.md). The bytes do not change: a message
  // that fits one segment flattens to the same words whatever the segment's capacity, and one
  // that would not fit the default's first segment is still built with the default.
  constexpr unsigned kDefaultFirstSegmentWords = capnp::SUGGESTED_FIRST_SEGMENT_WORDS;
  const size_t needed = 1 + 2 + (body.size() + 7) / 8 + (signature.size() + 7) / 8 + 8;
  capnp::MallocMessageBuilder builder(needed <= kDefaultFirstSegmentWords
                                          ? static_cast<unsigned>(needed)
                                          : kDefaultFirstSegmentWords);
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

Result<EnvelopeSpans> locateEnvelope(const uint8_t* data, size_t size) {
  if (Status s = checkFrameShape(size); !s) return s.error();
  try {
    kj::Array<capnp::word> copy;
    auto words = frameWords(data, size, copy);
    capnp::FlatArrayMessageReader reader(words, readerOptions(size));
    auto e = reader.getRoot<wire::Envelope>();
    auto body = e.getBody();
    auto signature = e.getSignature();
    if (signature.size() != crypto_sign_BYTES) return invalidInput("signature must be 64 bytes");
    if (body.size() == 0) return invalidInput("empty body");
    // The reader points into `words`, which holds `data`'s bytes at the same offsets.
    const auto* base = reinterpret_cast<const uint8_t*>(words.begin());
    EnvelopeSpans spans;
    spans.bodyOffset = static_cast<size_t>(body.begin() - base);
    spans.bodySize = body.size();
    spans.signatureOffset = static_cast<size_t>(signature.begin() - base);
    return spans;
  } catch (const kj::Exception& e) {
    return invalidInput("envelope does not decode: " + std::string(e.getDescription().cStr()));
  } catch (const std::exception& e) {
    return invalidInput(std::string("envelope does not decode: ") + e.what());
  }
}

}  // namespace samband::common
