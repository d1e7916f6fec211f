// Hostile frames built with the raw Cap'n Proto API: raw enum values, unknown union tags, bad
// text, pointer tricks (huge lists, amplification, cycles, deep chains), broken segment tables,
// and thousands of random and mutated buffers. The decoder must return an error or a valid
// message, never crash, hang or throw.
// Over 500 lines on purpose: every hostile buffer shape for the one decoder; kept together so a new
// decoder rule is checked against all of them.
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "common/codec.h"
#include "tests/common/sample_messages.h"

namespace samband::common {
namespace {

using namespace samband::common::testing;

// One big first segment, so every object of a test message lives in segment 0 and pointer
// offsets can be computed from addresses.
class OneSegmentBuilder : public capnp::MallocMessageBuilder {
 public:
  OneSegmentBuilder() : capnp::MallocMessageBuilder(16384, capnp::AllocationStrategy::FIXED_SIZE) {}
};

Bytes flat(capnp::MessageBuilder& builder) {
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

void fillValidHeader(wire::Body::Builder b, uint64_t seq = 1) {
  b.setSenderId(kProvider);
  Bytes keyId(8, 0x4b);
  b.setKeyId(kj::arrayPtr(keyId.data(), keyId.size()));
  b.setSeq(seq);
  if (seq > 1) {
    Bytes prev(32, 0x7e);
    b.setPrevHash(kj::arrayPtr(prev.data(), prev.size()));
  }
  b.setSentAt(kSentAt);
  b.setMode(wire::Mode::ACTUAL);
}

void fillValidStatus(wire::UnitStatus::Builder s) {
  s.setUnitCode(kUnit);
  s.setOperational(wire::OperationalState::CLOSED);
  s.setNote("Stängt på grund av storm");
}

// --- Raw pointer encoding (little-endian words, as on the wire) ----------------------------

uint64_t loadWord(const void* at) {
  uint64_t w;
  std::memcpy(&w, at, sizeof w);
  return w;
}
void storeWord(void* at, uint64_t w) { std::memcpy(at, &w, sizeof w); }

uint64_t structPointer(int64_t offsetWords, uint16_t dataWords, uint16_t pointers) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(offsetWords)) << 2 & 0xffffffffu) |
         static_cast<uint64_t>(dataWords) << 32 | static_cast<uint64_t>(pointers) << 48;
}
constexpr unsigned kInlineComposite = 7;
uint64_t listPointer(int64_t offsetWords, unsigned elementSize, uint32_t count) {
  return 1 | (static_cast<uint64_t>(static_cast<uint32_t>(offsetWords)) << 2 & 0xffffffffu) |
         static_cast<uint64_t>(elementSize) << 32 | static_cast<uint64_t>(count) << 35;
}
uint64_t farPointer(uint32_t segment, uint32_t offsetWords, bool doubleFar) {
  return 2 | (doubleFar ? 4 : 0) | static_cast<uint64_t>(offsetWords) << 3 |
         static_cast<uint64_t>(segment) << 32;
}
int64_t pointerOffset(uint64_t pointer) {
  return static_cast<int32_t>(static_cast<uint32_t>(pointer & 0xffffffffu)) >> 2;
}

// Address of pointer slot `index` of a struct being built (pointers follow the data section).
uint8_t* pointerSlot(capnp::AnyStruct::Builder s, unsigned index) {
  return s.getDataSection().end() + index * sizeof(capnp::word);
}
// Where a (non-far) pointer stored at `slot` points.
uint8_t* pointerTarget(uint8_t* slot) {
  return slot + sizeof(capnp::word) * (1 + pointerOffset(loadWord(slot)));
}
// Offset word value for a pointer at `slot` to reach `target`.
int64_t offsetTo(const uint8_t* slot, const uint8_t* target) {
  return (target - (slot + sizeof(capnp::word))) / static_cast<int64_t>(sizeof(capnp::word));
}

template <typename T>
unsigned pointerIndexOf(const char* field) {
  return capnp::Schema::from<T>().getFieldByName(field).getProto().getSlot().getOffset();
}

void expectDoesNotDecode(const Bytes& frame, const std::string& reason) {
  auto d = decodeBody(frame);
  ASSERT_FALSE(d.ok()) << "decoded a frame that should fail with: " << reason;
  EXPECT_EQ(d.error().kind, ErrorKind::invalidInput);
  EXPECT_NE(d.error().message.find(reason), std::string::npos) << "got: " << d.error().message;
}

// A decoded message must obey every rule and re-encode to something that decodes the same.
void expectLegal(const Message& m) {
  Status v = validate(m);
  ASSERT_TRUE(v.ok()) << "decodeBody returned a message validate() refuses: " << v.error().message;
  Bytes again = encodeBody(m);
  auto d2 = decodeBody(again);
  ASSERT_TRUE(d2.ok()) << d2.error().message;
  EXPECT_EQ(encodeBody(*d2), again);
}

// ---- Raw values the typed API would never produce -------------------------------------------

TEST(HostileBody, RawModeBeyondLastEnumerantIsRefused) {
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  fillValidStatus(b.initUnitStatus());
  b.setMode(static_cast<wire::Mode>(4));
  expectDoesNotDecode(flat(builder), "mode");
}

TEST(HostileBody, RawOperationalStateBeyondLastEnumerantIsRefused) {
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto s = b.initUnitStatus();
  fillValidStatus(s);
  s.setOperational(static_cast<wire::OperationalState>(99));
  expectDoesNotDecode(flat(builder), "unit_status.operational");
}

TEST(HostileBody, RawSupplyAndSchoolFormBeyondLastEnumerantAreRefused) {
  {
    OneSegmentBuilder builder;
    auto b = builder.initRoot<wire::Body>();
    fillValidHeader(b);
    auto s = b.initUnitStatus();
    fillValidStatus(s);
    s.setTelephony(static_cast<wire::Supply>(0xffff));
    expectDoesNotDecode(flat(builder), "supply state out of range");
  }
  {
    OneSegmentBuilder builder;
    auto b = builder.initRoot<wire::Body>();
    fillValidHeader(b);
    auto c = b.initCapacity();
    c.setUnitCode(kUnit);
    auto e = c.initEntries(2);
    e[1].setForm(static_cast<wire::SchoolForm>(7));
    expectDoesNotDecode(flat(builder), "capacity.form");
  }
}

void setBodyUnionTag(wire::Body::Builder b, uint16_t tag) {
  auto offset = capnp::Schema::from<wire::Body>().getProto().getStruct().getDiscriminantOffset();
  auto data = capnp::toAny(b).getDataSection();
  ASSERT_LE((offset + 1) * 2, data.size());
  std::memcpy(data.begin() + offset * 2, &tag, sizeof tag);
}

TEST(HostileBody, UnknownUnionTagIsRefused) {
  // 9 is timeBeacon, 10 the city's roster record; far-off tags stand for kinds never defined.
  for (uint16_t tag : {uint16_t{40}, uint16_t{41}, uint16_t{0x7fff}, uint16_t{0xffff}}) {
    OneSegmentBuilder builder;
    auto b = builder.initRoot<wire::Body>();
    fillValidHeader(b);
    fillValidStatus(b.initUnitStatus());
    setBodyUnionTag(b, tag);
    ASSERT_EQ(static_cast<uint16_t>(b.which()), tag);
    expectDoesNotDecode(flat(builder), "unknown body kind (union tag " + std::to_string(tag) + ")");
  }
}

TEST(HostileBody, UnionTagOfTheLastKnownKindStillDecodes) {
  // Guards the test above: the tag is written where the decoder reads it.
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b, 2);
  auto k = b.initKeyRotation();
  Bytes id(8, 1), key(32, 2);
  k.setNewKeyId(kj::arrayPtr(id.data(), id.size()));
  k.setNewSignPublic(kj::arrayPtr(key.data(), key.size()));
  k.setNewCurvePublic(kj::arrayPtr(key.data(), key.size()));
  setBodyUnionTag(b, 8);
  auto d = decodeBody(flat(builder));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(std::holds_alternative<KeyRotationMsg>(d->payload));
}

TEST(HostileDownlink, UnknownUnionTagIsRefused) {
  OneSegmentBuilder builder;
  auto dl = builder.initRoot<wire::Downlink>();
  dl.initAck().setSeq(3);
  auto offset =
      capnp::Schema::from<wire::Downlink>().getProto().getStruct().getDiscriminantOffset();
  uint16_t tag = 4;
  std::memcpy(capnp::toAny(dl).getDataSection().begin() + offset * 2, &tag, sizeof tag);
  Bytes frame = flat(builder);
  auto d = decodeDownlink(frame.data(), frame.size());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("unknown downlink kind"), std::string::npos);
}

TEST(HostileDownlink, RawRejectReasonBeyondLastEnumerantIsRefused) {
  OneSegmentBuilder builder;
  builder.initRoot<wire::Downlink>().initReject().setReason(static_cast<wire::RejectReason>(200));
  Bytes frame = flat(builder);
  EXPECT_FALSE(decodeDownlink(frame.data(), frame.size()).ok());
}

TEST(HostileDownlink, UncleanRejectDetailIsReplacedNotPassedOn) {
  OneSegmentBuilder builder;
  builder.initRoot<wire::Downlink>().initReject().setDetail("\x1b]0;pwned\x07");
  Bytes frame = flat(builder);
  auto d = decodeDownlink(frame.data(), frame.size());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(std::get<RejectMsg>(*d).detail, "(unreadable detail)");
}

// ---- Text on the wire -----------------------------------------------------------------------

TEST(HostileBody, NulInsideATextIsRefused) {
  // encodeBody cannot produce this (std::string -> Text stops at NUL); a hostile sender can.
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto s = b.initUnitStatus();
  fillValidStatus(s);
  s.setNote(capnp::Text::Reader("ok\0hidden", 9));
  expectDoesNotDecode(flat(builder), "unit_status.note");
}

TEST(HostileBody, TextWithoutNulTerminatorIsRefused) {
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto s = b.initUnitStatus();
  fillValidStatus(s);
  s.setReason("ZZZZZZZ");  // 7 bytes + NUL: exactly one word
  uint8_t* text =
      pointerTarget(pointerSlot(capnp::toAny(s), pointerIndexOf<wire::UnitStatus>("reason")));
  ASSERT_EQ(std::memcmp(text, "ZZZZZZZ\0", 8), 0);
  text[7] = 'Z';
  expectDoesNotDecode(flat(builder), "does not decode");
}

TEST(HostileBody, StructPointerWhereTextBelongsIsRefused) {
  // A struct pointer where a Text pointer belongs must be refused, not reinterpreted.
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto s = b.initUnitStatus();
  fillValidStatus(s);
  uint8_t* slot = pointerSlot(capnp::toAny(s), pointerIndexOf<wire::UnitStatus>("unitCode"));
  // Point unitCode at the UnitStatus struct itself, as a struct.
  uint8_t* self = capnp::toAny(s).getDataSection().begin();
  auto size = capnp::Schema::from<wire::UnitStatus>().getProto().getStruct();
  storeWord(slot,
            structPointer(offsetTo(slot, self), size.getDataWordCount(), size.getPointerCount()));
  expectDoesNotDecode(flat(builder), "does not decode");
}

// ---- Lists and amplification ----------------------------------------------------------------

TEST(HostileBody, ListFarLargerThanTheFrameIsRefused) {
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto c = b.initCapacity();
  c.setUnitCode(kUnit);
  c.initEntries(1);
  uint8_t* slot = pointerSlot(capnp::toAny(c), pointerIndexOf<wire::Capacity>("entries"));
  // Claim a million words of entries; the frame holds a few dozen.
  storeWord(slot, listPointer(pointerOffset(loadWord(slot)), kInlineComposite, 1000000));
  expectDoesNotDecode(flat(builder), "out-of-bounds");
}

TEST(HostileBody, ListOfHundredsOfMillionsOfEmptyStructsIsRefused) {
  // Zero-sized elements cost no bytes on the wire; the traversal limit must still count them.
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto a = b.initReadinessAnswer();
  a.setCheckId("check-1");
  a.initResults(1);
  uint8_t* slot = pointerSlot(capnp::toAny(a), pointerIndexOf<wire::ReadinessAnswer>("results"));
  uint8_t* tag = pointerTarget(slot);
  storeWord(tag, structPointer(1 << 28, 0, 0));  // tag: element count, 0 data, 0 pointers
  storeWord(slot, listPointer(pointerOffset(loadWord(slot)), kInlineComposite, 0));
  expectDoesNotDecode(flat(builder), "traversal limit");
}

TEST(HostileBody, ManyPointersToOneLargeTextHitTheTraversalLimit) {
  // 1000 recipients (within kMaxRecipients) all pointing at one 8000-byte text: a 17 KiB frame
  // that would make the reader walk 8 MB without the traversal limit.
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto d = b.initDirective();
  d.setDirectiveId("directive-1");
  auto recipients = d.initRecipients(static_cast<unsigned>(kMaxRecipients));
  recipients.set(0, std::string(8000, 'x'));
  uint8_t* listSlot = pointerSlot(capnp::toAny(d), pointerIndexOf<wire::Directive>("recipients"));
  uint8_t* first = pointerTarget(listSlot);
  uint8_t* text = pointerTarget(first);
  for (size_t i = 1; i < kMaxRecipients; ++i) {
    uint8_t* slot = first + i * sizeof(capnp::word);
    storeWord(slot, listPointer(offsetTo(slot, text), 2, 8001));
  }
  Bytes frame = flat(builder);
  ASSERT_LT(frame.size(), 20000u);
  expectDoesNotDecode(frame, "traversal limit");
}

// ---- Pointer cycles and deep chains ---------------------------------------------------------

TEST(HostileBody, PayloadPointingBackAtTheBodyIsRefusedWithoutLooping) {
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  fillValidStatus(b.initUnitStatus());
  auto any = capnp::toAny(b);
  auto shape = capnp::Schema::from<wire::Body>().getProto().getStruct();
  unsigned payloadIndex = pointerIndexOf<wire::Body>("unitStatus");
  uint8_t* slot = pointerSlot(any, payloadIndex);
  storeWord(slot, structPointer(offsetTo(slot, any.getDataSection().begin()),
                                shape.getDataWordCount(), shape.getPointerCount()));
  // Read as a unit status, the body's own fields become nonsense: refused, and promptly.
  expectDoesNotDecode(flat(builder), "");
}

TEST(HostileBody, DeepStructChainInATextFieldIsRefused) {
  OneSegmentBuilder builder;
  auto b = builder.initRoot<wire::Body>();
  fillValidHeader(b);
  auto payload = capnp::toAny(b).getPointerSection()[pointerIndexOf<wire::Body>("continuity")];
  setBodyUnionTag(b, static_cast<uint16_t>(wire::Body::CONTINUITY));
  // continuity.note is pointer 0; hang a 500-deep chain of one-pointer structs from it.
  auto level = payload.initAsAnyStruct(2, 1);
  for (int depth = 0; depth < 500; ++depth) {
    level = level.getPointerSection()[0].initAsAnyStruct(0, 1);
  }
  expectDoesNotDecode(flat(builder), "does not decode");
}

TEST(HostileBody, DeepContentBeyondTheSchemaIsIgnoredNotWalked) {
  // A newer sender may add fields; the decoder reads only what it knows, so a 500-deep chain in
  // an unknown pointer slot costs nothing and the known fields decode unchanged.
  Message original = envelopeFields(sampleUnitStatus(), 4);
  Bytes plain = encodeBody(original);
  auto words = kj::heapArray<capnp::word>(plain.size() / 8);
  std::memcpy(words.begin(), plain.data(), plain.size());
  capnp::FlatArrayMessageReader reader(words);
  auto known = capnp::toAny(reader.getRoot<wire::Body>());

  OneSegmentBuilder builder;
  auto shape = capnp::Schema::from<wire::Body>().getProto().getStruct();
  auto root = builder.getRoot<capnp::AnyPointer>().initAsAnyStruct(
      shape.getDataWordCount(), static_cast<uint16_t>(shape.getPointerCount() + 1));
  std::memcpy(root.getDataSection().begin(), known.getDataSection().begin(),
              known.getDataSection().size());
  auto pointers = root.getPointerSection();
  for (unsigned i = 0; i < shape.getPointerCount(); ++i) {
    pointers[i].set(known.getPointerSection()[i]);
  }
  auto level = pointers[shape.getPointerCount()].initAsAnyStruct(0, 1);
  for (int depth = 0; depth < 500; ++depth) {
    level = level.getPointerSection()[0].initAsAnyStruct(0, 1);
  }
  auto d = decodeBody(flat(builder));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(headerFields(*d), headerFields(original));
  EXPECT_EQ(fields(std::get<UnitStatusMsg>(d->payload)), fields(sampleUnitStatus()));
}

// ---- Segment tables and far pointers --------------------------------------------------------

Bytes wordsToBytes(std::initializer_list<uint64_t> words) {
  Bytes out(words.size() * 8);
  size_t i = 0;
  for (uint64_t w : words) storeWord(out.data() + 8 * i++, w);
  return out;
}
uint64_t segmentTable(uint32_t countMinusOne, uint32_t firstSize) {
  return countMinusOne | static_cast<uint64_t>(firstSize) << 32;
}

TEST(HostileFrame, AllZeroFrameIsRefusedByValidation) {
  expectDoesNotDecode(wordsToBytes({segmentTable(0, 1), 0}), "senderId");
}

TEST(HostileFrame, SegmentLargerThanTheFrameIsRefused) {
  expectDoesNotDecode(wordsToBytes({segmentTable(0, 1000000), 0, 0}), "does not decode");
}

TEST(HostileFrame, AbsurdSegmentCountIsRefused) {
  // 0xffffffff + 1 segments wraps to zero in 32 bits: whatever the reader makes of it, it is
  // refused.
  expectDoesNotDecode(wordsToBytes({segmentTable(0xffffffffu, 1), 0}), "");
  expectDoesNotDecode(wordsToBytes({segmentTable(600, 1), 0, 0, 0}), "does not decode");
}

TEST(HostileFrame, RootPointerOutsideTheSegmentIsRefused) {
  expectDoesNotDecode(wordsToBytes({segmentTable(0, 2), structPointer(1000, 4, 4), 0}),
                      "does not decode");
  expectDoesNotDecode(wordsToBytes({segmentTable(0, 2), structPointer(-5, 1, 0), 0}),
                      "does not decode");
}

TEST(HostileFrame, FarPointerToMissingSegmentIsRefused) {
  expectDoesNotDecode(wordsToBytes({segmentTable(0, 1), farPointer(7, 0, false)}),
                      "does not decode");
}

TEST(HostileFrame, FarPointersPointingAtEachOtherAreRefused) {
  // Two segments of one word: each is a far pointer to the other.
  expectDoesNotDecode(
      wordsToBytes({segmentTable(1, 1), 1, farPointer(1, 0, false), farPointer(0, 0, false)}),
      "does not decode");
  expectDoesNotDecode(
      wordsToBytes({segmentTable(1, 1), 1, farPointer(1, 0, true), farPointer(0, 0, true)}),
      "does not decode");
}

TEST(HostileFrame, ListPointerAsRootIsRefused) {
  expectDoesNotDecode(wordsToBytes({segmentTable(0, 2), listPointer(0, 2, 8), 0}),
                      "does not decode");
}

// ---- Random and mutated input ---------------------------------------------------------------

std::vector<Bytes> sampleFrames() {
  Message city = envelopeFields(sampleDirective(), 3);
  city.senderId = "city";
  return {encodeBody(envelopeFields(sampleHeartbeat(), 0)),
          encodeBody(envelopeFields(sampleUnitStatus(), 1)),
          encodeBody(envelopeFields(sampleCapacity(), 2)),
          encodeBody(envelopeFields(sampleContinuity(), 2)),
          encodeBody(envelopeFields(sampleReadinessAnswer(), 2)),
          encodeBody(envelopeFields(sampleDirectiveAck(), 2)),
          encodeBody(envelopeFields(sampleReadinessCheck(), 2)),
          encodeBody(city),
          encodeBody(envelopeFields(sampleKeyRotation(), 2))};
}

Bytes randomBytes(std::mt19937_64& rng, size_t size) {
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

void decodeEverything(const Bytes& frame) {
  auto body = decodeBody(frame);
  if (body.ok()) {
    expectLegal(*body);
  } else {
    EXPECT_EQ(body.error().kind, ErrorKind::invalidInput);
    EXPECT_FALSE(body.error().message.empty());
  }
  auto env = decodeEnvelope(frame);
  if (env.ok()) {
    EXPECT_EQ(env->signature.size(), 64u);
    EXPECT_FALSE(env->body.empty());
  }
  auto down = decodeDownlink(frame.data(), frame.size());
  if (down.ok()) {
    Bytes again = encodeDownlink(*down);
    EXPECT_TRUE(decodeDownlink(again.data(), again.size()).ok());
  }
}

TEST(HostileFuzz, RandomBuffersNeverCrashTheDecoders) {
  std::mt19937_64 rng(20251125);
  for (int i = 0; i < 4000; ++i) {
    size_t size = rng() % 2048;
    if (i % 2 == 0) size &= ~size_t{7};
    decodeEverything(randomBytes(rng, size));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(HostileFuzz, RandomWordsBehindAPlausibleSegmentTableNeverCrashTheDecoders) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 4000; ++i) {
    uint32_t words = 1 + static_cast<uint32_t>(rng() % 256);
    Bytes frame = randomBytes(rng, (words + 1) * 8);
    storeWord(frame.data(), segmentTable(0, words));
    // Sparse random words look more like real pointers: mostly zero, some random.
    for (size_t w = 1; w <= words; ++w) {
      if (rng() % 3 != 0) storeWord(frame.data() + w * 8, 0);
    }
    decodeEverything(frame);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(HostileFuzz, MutatedValidFramesNeverCrashTheDecoder) {
  std::mt19937_64 rng(42);
  auto frames = sampleFrames();
  int decoded = 0;
  for (const Bytes& original : frames) {
    ASSERT_TRUE(decodeBody(original).ok());
    for (int i = 0; i < 1500; ++i) {
      Bytes frame = original;
      int changes = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < changes; ++k) {
        size_t at = rng() % frame.size();
        if (rng() % 2) {
          frame[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
        } else {
          frame[at] = static_cast<uint8_t>(rng());
        }
      }
      auto d = decodeBody(frame);
      if (d.ok()) {
        ++decoded;
        expectLegal(*d);
      }
      decodeEverything(frame);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  // Some mutations land in harmless places (sentAt, counts); the fuzzing reached the validator.
  EXPECT_GT(decoded, 0);
}

TEST(HostileFuzz, EnvelopesAroundMutatedBodiesNeverCrashTheDecoders) {
  std::mt19937_64 rng(99);
  for (const Bytes& body : sampleFrames()) {
    Bytes envelope = encodeEnvelope(body, Bytes(64, 0x5a));
    for (int i = 0; i < 500; ++i) {
      Bytes frame = envelope;
      frame[rng() % frame.size()] = static_cast<uint8_t>(rng());
      auto parts = decodeEnvelope(frame);
      if (parts.ok()) {
        auto d = decodeBody(parts->body);
        if (d.ok()) expectLegal(*d);
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace samband::common
