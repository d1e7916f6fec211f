// See downlink.h.
#include "common/downlink.h"

#include <kj/exception.h>

#include <exception>
#include <string>

#include "common/codec.h"
#include "common/limits.h"
#include "common/text_rules.h"
#include "common/wire_frame.h"

namespace samband::common {

namespace {

// An ack, reject or head fits in a few words; capnp's default first segment is 8 KiB, allocated
// and zeroed for every downlink. A city envelope simply grows the message.
constexpr unsigned kDownlinkFirstSegmentWords = 32;

}  // namespace

Bytes encodeDownlink(const Downlink& d) {
  capnp::MallocMessageBuilder builder(kDownlinkFirstSegmentWords);
  auto b = builder.initRoot<wire::Downlink>();
  if (auto* a = std::get_if<AckMsg>(&d)) {
    auto x = b.initAck();
    x.setSeq(a->seq);
    x.setDuplicate(a->duplicate);
    if (!a->receipt.empty()) x.setReceipt(kj::arrayPtr(a->receipt.data(), a->receipt.size()));
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
    if (!h->beacon.empty()) {
      if (auto parts = decodeEnvelope(h->beacon)) {
        auto e = x.initBeacon();
        e.setBody(kj::arrayPtr(parts->body.data(), parts->body.size()));
        e.setSignature(kj::arrayPtr(parts->signature.data(), parts->signature.size()));
      }
    }
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
        return Downlink(AckMsg{r.getAck().getSeq(), r.getAck().getDuplicate(),
                               toBytes(r.getAck().getReceipt())});
      case wire::Downlink::REJECT: {
        auto x = r.getReject();
        if (static_cast<uint16_t>(x.getReason()) >
            static_cast<uint16_t>(RejectReason::PERSONAL_DATA)) {
          return invalidInput("reject reason out of range");
        }
        std::string detail = readText(x.getDetail());
        if (!isCleanText(detail) || detail.size() > kMaxShortText) detail = "(unreadable detail)";
        return Downlink(
            RejectMsg{x.getSeq(), x.getReason(), x.getHeadSeq(), toBytes(x.getHeadHash()), detail});
      }
      case wire::Downlink::HEAD: {
        auto x = r.getHead();
        HeadMsg h{x.getHeadSeq(), toBytes(x.getHeadHash()), x.getServerTime(), {}};
        if (x.hasBeacon()) {
          // Verified by the agent (agent/city_message.h), like any city envelope.
          auto b = x.getBeacon();
          h.beacon = encodeEnvelope(toBytes(b.getBody()), toBytes(b.getSignature()));
        }
        return Downlink(std::move(h));
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
  } catch (const std::exception& e) {
    return invalidInput(std::string("downlink does not decode: ") + e.what());
  }
}

}  // namespace samband::common
