// See batch_envelope.h. Part of the codec adapter: the only other file that reads BatchEnvelope.
#include "common/batch_envelope.h"

#include <kj/exception.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "common/codec.h"
#include "common/signing.h"
#include "common/wire_frame.h"
#include "schemas/samband.capnp.h"

namespace samband::common {

bool isBatchFrame(const uint8_t* data, size_t size) {
  return size >= sizeof kBatchMagic && std::memcmp(data, kBatchMagic, sizeof kBatchMagic) == 0;
}

Bytes encodeBatch(const std::vector<Bytes>& bodies, const Bytes& signature) {
  capnp::MallocMessageBuilder builder;
  auto b = builder.initRoot<wire::BatchEnvelope>();
  auto list = b.initBodies(static_cast<unsigned>(bodies.size()));
  for (unsigned i = 0; i < bodies.size(); ++i) {
    list.set(i, kj::arrayPtr(bodies[i].data(), bodies[i].size()));
  }
  b.setSignature(kj::arrayPtr(signature.data(), signature.size()));
  Bytes flat = flatten(builder);
  Bytes frame(sizeof kBatchMagic + flat.size());
  std::memcpy(frame.data(), kBatchMagic, sizeof kBatchMagic);
  std::memcpy(frame.data() + sizeof kBatchMagic, flat.data(), flat.size());
  return frame;
}

Result<BatchParts> decodeBatch(const uint8_t* data, size_t size, bool* oversized) {
  if (oversized) *oversized = false;
  if (!isBatchFrame(data, size)) return invalidInput("not a batch frame");
  if (size > kMaxBatchBytes) {
    if (oversized) *oversized = true;
    return invalidInput("batch of " + std::to_string(size) + " bytes exceeds the limit of " +
                        std::to_string(kMaxBatchBytes) + ": send at most 48 KiB per batch");
  }
  const uint8_t* msg = data + sizeof kBatchMagic;
  const size_t msgSize = size - sizeof kBatchMagic;
  if (Status s = checkFrameShape(msgSize); !s) return s.error();
  try {
    auto words = alignedCopy(msg, msgSize);
    capnp::FlatArrayMessageReader reader(words, readerOptions(msgSize));
    auto r = reader.getRoot<wire::BatchEnvelope>();
    auto list = r.getBodies();
    if (list.size() > kMaxBatchReports) {
      if (oversized) *oversized = true;
      return invalidInput("batch of " + std::to_string(list.size()) +
                          " reports exceeds the limit of 64: send at most 64 per batch");
    }
    if (list.size() == 0) return invalidInput("empty batch");
    BatchParts parts;
    parts.signature = toBytes(r.getSignature());
    if (parts.signature.size() != crypto_sign_BYTES) {
      return invalidInput("batch signature must be 64 bytes");
    }
    parts.bodies.reserve(list.size());
    for (auto body : list) {
      if (body.size() == 0) return invalidInput("empty body in batch");
      parts.bodies.push_back(toBytes(body));
    }
    return parts;
  } catch (const kj::Exception& e) {
    return invalidInput("batch does not decode: " + std::string(e.getDescription().cStr()));
  } catch (const std::exception& e) {
    return invalidInput(std::string("batch does not decode: ") + e.what());
  }
}

Bytes batchMemberEnvelope(const Bytes& body) {
  return encodeEnvelope(body, Bytes(crypto_sign_BYTES, 0));
}

bool isBatchMemberSignature(const uint8_t* signature, size_t size) {
  return size == crypto_sign_BYTES &&
         std::all_of(signature, signature + size, [](uint8_t b) { return b == 0; });
}

}  // namespace samband::common

namespace samband::common {

Result<std::vector<Bytes>> openBatch(const Bytes& frame, const PublicKey& signPublic) {
  auto parts = decodeBatch(frame);
  if (!parts) return parts.error();
  if (!verifyBatch(signPublic, parts->bodies, parts->signature)) {
    return invalidInput("batch signature does not verify");
  }
  return std::move(parts->bodies);
}

}  // namespace samband::common
