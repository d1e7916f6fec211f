// Cap'n Proto encoding/decoding of bodies and envelopes, the decode gate for untrusted bytes.
// With wire_frame.cpp, wire_payload.cpp and downlink.cpp the only code that touches generated
// readers/builders; everything else uses common/messages.h. Library exceptions stop here.
#include "common/codec.h"

#include <kj/exception.h>
#include <sodium.h>

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

}  // namespace samband::common
