// Enrollment requests: JSON round trip, proof of possession, and refusal of tampered or
// malformed requests.
#include "common/enrollment.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"

namespace samband::common {
namespace {

constexpr const char* kProvider = "556677-8899";
constexpr int64_t kCreatedAt = 1764067580123;

class Enrollment : public ::testing::Test {
 protected:
  void SetUp() override {
    initSodium();
    identity_ = Identity::generate(kProvider);
    request_ =
        makeEnrollRequest(*identity_, "Friskolan Ängen AB", {"12345678", "87654321"}, kCreatedAt);
    json_ = nlohmann::json::parse(enrollRequestToJson(request_));
  }

  Result<EnrollRequest> parse(const nlohmann::json& j) {
    return parseEnrollRequest(j.dump(), "requests/enroll-request.json");
  }

  void expectRefused(const nlohmann::json& j, ErrorKind kind, const std::string& words) {
    auto r = parse(j);
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_EQ(r.error().kind, kind) << r.error().message;
    EXPECT_NE(r.error().message.find("requests/enroll-request.json"), std::string::npos);
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  }

  std::unique_ptr<Identity> identity_;
  EnrollRequest request_;
  nlohmann::json json_;
};

TEST_F(Enrollment, RequestRoundTripsThroughJson) {
  auto r = parseEnrollRequest(enrollRequestToJson(request_), "req.json");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->provider, kProvider);
  EXPECT_EQ(r->name, "Friskolan Ängen AB");
  EXPECT_EQ(r->units, (std::vector<std::string>{"12345678", "87654321"}));
  EXPECT_EQ(r->signPublic, identity_->signPublic());
  EXPECT_EQ(r->curvePublic, identity_->curvePublic());
  EXPECT_EQ(r->createdAt, kCreatedAt);
  EXPECT_EQ(r->signature, request_.signature);
  EXPECT_EQ(r->keyId(), identity_->keyId());
}

TEST_F(Enrollment, JsonNamesTheKindAndKeyId) {
  EXPECT_EQ(json_["kind"], "samband-enroll-request");
  EXPECT_EQ(json_["version"], 1);
  EXPECT_EQ(json_["key_id"], toHex(identity_->keyId()));
}

TEST_F(Enrollment, TamperedNameIsUnauthorised) {
  json_["name"] = "Friskolan Ängen AB (ny ägare)";
  expectRefused(json_, ErrorKind::unauthorised, "signature does not match");
}

TEST_F(Enrollment, AddedRemovedOrReorderedUnitsAreUnauthorised) {
  for (const auto& units :
       {std::vector<std::string>{"12345678", "87654321", "11111111"},
        std::vector<std::string>{"12345678"}, std::vector<std::string>{"87654321", "12345678"},
        std::vector<std::string>{"12345678", "87654322"}}) {
    nlohmann::json j = json_;
    j["units"] = units;
    expectRefused(j, ErrorKind::unauthorised, "signature does not match");
  }
}

TEST_F(Enrollment, TamperedProviderOrTimeIsUnauthorised) {
  nlohmann::json j = json_;
  j["provider"] = "212000-0142";
  expectRefused(j, ErrorKind::unauthorised, "signature");
  j = json_;
  j["created_at"] = kCreatedAt + 1;
  expectRefused(j, ErrorKind::unauthorised, "signature");
}

// Found by the enroll_request fuzz target: 1.7e54 converted to int64 was undefined behaviour.
TEST_F(Enrollment, ACreationTimeThatIsNotAWholeNumberIsInvalidInput) {
  for (const char* created : {"1.7e54", "1e300", "1700000000000.5", "-1e30"}) {
    std::string text = json_.dump();
    const std::string field = "\"created_at\":" + std::to_string(kCreatedAt);
    ASSERT_NE(text.find(field), std::string::npos) << text;
    text.replace(text.find(field), field.size(), std::string("\"created_at\":") + created);
    auto r = parseEnrollRequest(text, "requests/enroll-request.json");
    ASSERT_FALSE(r.ok()) << created;
    EXPECT_EQ(r.error().kind, ErrorKind::invalidInput);
    EXPECT_NE(r.error().message.find("created_at must be a whole number"), std::string::npos)
        << r.error().message;
  }
}

TEST_F(Enrollment, SwappedKeysAreUnauthorised) {
  auto other = Identity::generate(kProvider);
  nlohmann::json j = json_;
  j["curve_public"] = toHex(other->curvePublic().data(), 32);
  expectRefused(j, ErrorKind::unauthorised, "signature");
  j = json_;
  j["sign_public"] = toHex(other->signPublic().data(), 32);
  expectRefused(j, ErrorKind::unauthorised, "signature");
}

TEST_F(Enrollment, RequestSignedByAnotherKeyIsUnauthorised) {
  // An attacker who cannot sign with the key in the request cannot enroll it.
  auto attacker = Identity::generate(kProvider);
  EnrollRequest forged =
      makeEnrollRequest(*attacker, "Friskolan Ängen AB", {"12345678", "87654321"}, kCreatedAt);
  nlohmann::json j = json_;
  j["signature"] = toHex(forged.signature);
  expectRefused(j, ErrorKind::unauthorised, "signature");
}

TEST_F(Enrollment, FlippedSignatureBitIsUnauthorised) {
  Bytes sig = request_.signature;
  sig[17] ^= 0x10;
  json_["signature"] = toHex(sig);
  expectRefused(json_, ErrorKind::unauthorised, "signature");
}

TEST_F(Enrollment, KeyIdFieldIsNeverTrustedOverTheSigningKey) {
  // key_id is not covered by the signature. Refusing a wrong one would be fine; taking it as the
  // key's id would not.
  json_["key_id"] = "0000000000000000";
  auto r = parse(json_);
  if (r.ok()) {
    EXPECT_EQ(r->keyId(), identity_->keyId());
  }
}

TEST_F(Enrollment, BadJsonIsInvalidInput) {
  for (const char* text : {"", "{", "not json", "[]", "null", "42", "\"text\"",
                           "{\"kind\": \"samband-enroll-request\",}"}) {
    auto r = parseEnrollRequest(text, "req.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().kind, ErrorKind::invalidInput);
    EXPECT_NE(r.error().message.find("req.json"), std::string::npos);
  }
}

TEST_F(Enrollment, WrongOrMistypedKindIsInvalidInput) {
  for (const nlohmann::json& kind :
       {nlohmann::json("samband-enroll-response"), nlohmann::json(5), nlohmann::json(nullptr),
        nlohmann::json::array(), nlohmann::json::object()}) {
    nlohmann::json j = json_;
    j["kind"] = kind;
    expectRefused(j, ErrorKind::invalidInput, "kind");
  }
  json_.erase("kind");
  expectRefused(json_, ErrorKind::invalidInput, "kind");
}

TEST_F(Enrollment, MissingOrMistypedFieldsAreInvalidInput) {
  for (const char* field :
       {"provider", "name", "units", "created_at", "sign_public", "curve_public", "signature"}) {
    nlohmann::json j = json_;
    j.erase(field);
    expectRefused(j, ErrorKind::invalidInput, "");
    j = json_;
    j[field] = nlohmann::json::object();
    expectRefused(j, ErrorKind::invalidInput, "");
  }
  nlohmann::json j = json_;
  j["units"] = {12345678};
  expectRefused(j, ErrorKind::invalidInput, "");
}

TEST_F(Enrollment, KeysAndSignatureMustBeHexOfTheRightLength) {
  std::string signHex = json_["sign_public"];
  std::string sigHex = json_["signature"];
  const std::pair<const char*, std::string> cases[] = {
      {"sign_public", signHex.substr(2)},        {"sign_public", signHex + "00"},
      {"sign_public", "zz" + signHex.substr(2)}, {"curve_public", ""},
      {"signature", sigHex.substr(2)},           {"signature", sigHex + "00"},
      {"signature", sigHex.substr(1)},
  };
  for (const auto& [field, value] : cases) {
    nlohmann::json j = json_;
    j[field] = value;
    expectRefused(j, ErrorKind::invalidInput, "hex");
  }
}

TEST_F(Enrollment, ProviderMustBeAnOrganisationNumber) {
  for (const char* bad : {"city", "5566778899", "556677-889", "", "556677-8899 "}) {
    nlohmann::json j = json_;
    j["provider"] = bad;
    expectRefused(j, ErrorKind::invalidInput, "organisation number");
  }
}

TEST_F(Enrollment, EveryUnitMustBeEightDigits) {
  for (const char* bad : {"1234567", "123456789", "1234567x", "", "12345678 "}) {
    nlohmann::json j = json_;
    j["units"] = {"12345678", bad};
    expectRefused(j, ErrorKind::invalidInput, "is not 8 digits");
  }
}

TEST_F(Enrollment, UnitListMustNotBeEmptyOrHuge) {
  json_["units"] = nlohmann::json::array();
  expectRefused(json_, ErrorKind::invalidInput, "from 1 to 2000 units");
  json_["units"] = std::vector<std::string>(2001, "12345678");
  expectRefused(json_, ErrorKind::invalidInput, "from 1 to 2000 units");
}

TEST_F(Enrollment, NameMustBeShortCleanText) {
  for (const std::string& bad : {std::string(""), std::string(201, 'n'),
                                 std::string("Skolan\x1b[31m"), std::string("Skolan\r")}) {
    nlohmann::json j = json_;
    j["name"] = bad;
    expectRefused(j, ErrorKind::invalidInput, "name");
  }
  // Invalid UTF-8 cannot even be carried in JSON text.
  auto r = parseEnrollRequest("{\"kind\":\"samband-enroll-request\",\"name\":\"\xff\"}", "x");
  EXPECT_FALSE(r.ok());
}

TEST_F(Enrollment, NameOfExactlyTwoHundredBytesIsAccepted) {
  std::string name(200, 'n');
  EnrollRequest r = makeEnrollRequest(*identity_, name, {"12345678"}, kCreatedAt);
  auto parsed = parseEnrollRequest(enrollRequestToJson(r), "req.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->name, name);
}

// The signed bytes of a request, written out as docs/protocol.md fixes them, so a test can sign a
// request whose transport key no Identity would ever hold.
Bytes requestBytes(const EnrollRequest& r) {
  std::string s("samband/v1/enroll", sizeof "samband/v1/enroll");
  s += r.provider + "\n" + r.name + "\n";
  for (size_t i = 0; i < r.units.size(); ++i) s += (i ? "," : "") + r.units[i];
  s += "\n" + toHex(r.signPublic.data(), 32) + "\n" + toHex(r.curvePublic.data(), 32) + "\n" +
       std::to_string(r.createdAt);
  return Bytes(s.begin(), s.end());
}

TEST_F(Enrollment, SmallOrderTransportKeysAreRefusedThoughSigned) {
  // The small-order u-coordinates libsodium lists: 0, 1, two points of order 8, and p - 1.
  const char* weak[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  for (const char* hex : weak) {
    EnrollRequest r = request_;
    ASSERT_TRUE(fromHex(hex, r.curvePublic.data(), 32));
    Bytes msg = requestBytes(r);
    r.signature = identity_->sign(msg.data(), msg.size());
    auto parsed = parseEnrollRequest(enrollRequestToJson(r), "requests/enroll-request.json");
    ASSERT_FALSE(parsed.ok()) << hex;
    EXPECT_EQ(parsed.error().kind, ErrorKind::invalidInput);
    EXPECT_NE(parsed.error().message.find("weak X25519 key"), std::string::npos)
        << parsed.error().message;
  }
}

TEST_F(Enrollment, ResignedRequestWithItsOwnTransportKeyIsStillAccepted) {
  // The test's own signing path is faithful: the same bytes with the real key verify.
  EnrollRequest r = request_;
  Bytes msg = requestBytes(r);
  r.signature = identity_->sign(msg.data(), msg.size());
  EXPECT_TRUE(parseEnrollRequest(enrollRequestToJson(r), "x.json").ok());
  EXPECT_FALSE(isSmallOrderCurveKey(identity_->curvePublic()));
}

}  // namespace
}  // namespace samband::common
