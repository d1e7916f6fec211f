// Body signatures: Ed25519 over "samband/v1/body" NUL || body, as docs/protocol.md specifies.
// Any change to body, signature or key, or a missing domain prefix, must fail verification.
#include "common/codec.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "common/identity.h"
#include "tests/common/sample_messages.h"

namespace samband::common {
namespace {

using namespace samband::common::testing;

// ---- Signatures -----------------------------------------------------------------------------

class BodySignature : public ::testing::Test {
 protected:
  void SetUp() override {
    initSodium();
    identity_ = Identity::generate(kProvider);
    Message m = envelopeFields(sampleUnitStatus(), 3);
    m.keyId = identity_->keyId();
    body_ = encodeBody(m);
    signature_ = signBody(*identity_, body_);
  }
  std::unique_ptr<Identity> identity_;
  Bytes body_;
  Bytes signature_;
};

TEST_F(BodySignature, ValidSignatureVerifies) {
  EXPECT_EQ(signature_.size(), 64u);
  EXPECT_TRUE(verifyBody(identity_->signPublic(), body_, signature_));
}

TEST_F(BodySignature, EveryFlippedBitInTheBodyBreaksIt) {
  for (size_t bit = 0; bit < body_.size() * 8; ++bit) {
    Bytes tampered = body_;
    tampered[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_FALSE(verifyBody(identity_->signPublic(), tampered, signature_)) << "bit " << bit;
  }
}

TEST_F(BodySignature, EveryFlippedBitInTheSignatureBreaksIt) {
  for (size_t bit = 0; bit < signature_.size() * 8; ++bit) {
    Bytes tampered = signature_;
    tampered[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_FALSE(verifyBody(identity_->signPublic(), body_, tampered)) << "bit " << bit;
  }
}

TEST_F(BodySignature, AnotherKeyDoesNotVerify) {
  auto other = Identity::generate(kProvider);
  EXPECT_FALSE(verifyBody(other->signPublic(), body_, signature_));
  EXPECT_FALSE(verifyBody(identity_->curvePublic(), body_, signature_));
}

TEST_F(BodySignature, AppendedOrTruncatedBodyDoesNotVerify) {
  Bytes longer = body_;
  longer.insert(longer.end(), 8, 0);
  EXPECT_FALSE(verifyBody(identity_->signPublic(), longer, signature_));
  Bytes shorter(body_.begin(), body_.end() - 8);
  EXPECT_FALSE(verifyBody(identity_->signPublic(), shorter, signature_));
}

TEST_F(BodySignature, SignatureWithoutTheDomainPrefixDoesNotVerify) {
  Bytes bare = identity_->sign(body_.data(), body_.size());
  EXPECT_FALSE(verifyBody(identity_->signPublic(), body_, bare));
  // Prefix without its NUL, as a careless implementation might sign.
  Bytes noNul(kBodySignDomain, kBodySignDomain + sizeof kBodySignDomain - 1);
  noNul.insert(noNul.end(), body_.begin(), body_.end());
  EXPECT_FALSE(
      verifyBody(identity_->signPublic(), body_, identity_->sign(noNul.data(), noNul.size())));
}

TEST_F(BodySignature, SignatureCoversTheDocumentedBytes) {
  // docs/protocol.md: "samband/v1/body" 0x00 || body, verified independently of verifyBody.
  std::string prefix("samband/v1/body");
  Bytes signedBytes(prefix.begin(), prefix.end());
  signedBytes.push_back(0);
  signedBytes.insert(signedBytes.end(), body_.begin(), body_.end());
  EXPECT_EQ(crypto_sign_verify_detached(signature_.data(), signedBytes.data(), signedBytes.size(),
                                        identity_->signPublic().data()),
            0);
}

TEST_F(BodySignature, SignatureOfWrongLengthDoesNotVerify) {
  Bytes shortSig(signature_.begin(), signature_.end() - 1);
  EXPECT_FALSE(verifyBody(identity_->signPublic(), body_, shortSig));
  EXPECT_FALSE(verifyBody(identity_->signPublic(), body_, {}));
}

TEST_F(BodySignature, SealProducesVerifiableEnvelopeAndBodyHash) {
  Message m = envelopeFields(sampleUnitStatus(), 3);
  m.keyId = identity_->keyId();
  SealedFrame f = seal(*identity_, m);
  EXPECT_EQ(f.body, encodeBody(m));
  EXPECT_EQ(f.bodyHash, hash256(f.body));
  auto parts = decodeEnvelope(f.envelope);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  EXPECT_EQ(parts->body, f.body);
  EXPECT_TRUE(verifyBody(identity_->signPublic(), parts->body, parts->signature));
}

}  // namespace
}  // namespace samband::common
