// Identity files: generation, the 0600 rule, damage detection, and the public text form.
#include "common/identity.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <string>

#include "common/bytes.h"
#include "common/codec.h"
#include "tests/support/temp_dir.h"

namespace samband::common {
namespace {

using samband::testing::permissionBits;
using samband::testing::readWhole;
using samband::testing::ScopedUmask;
using samband::testing::TempDir;

constexpr const char* kIdentityProvider = "556677-8899";

bool signatureVerifies(const PublicKey& key, const Bytes& sig, const std::string& text) {
  return sig.size() == crypto_sign_BYTES &&
         crypto_sign_verify_detached(sig.data(), reinterpret_cast<const uint8_t*>(text.data()),
                                     text.size(), key.data()) == 0;
}

Bytes signText(const Identity& id, const std::string& text) {
  return id.sign(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// Replaces the value of `key` in an identity or public-key file.
std::string withValue(const std::string& text, const std::string& key, const std::string& value) {
  std::regex line("(^|\n)" + key + " = [^\n]*");
  std::string out = std::regex_replace(text, line, "$1" + key + " = " + value);
  EXPECT_NE(out, text) << "no line '" << key << "' to replace";
  return out;
}

std::string withoutLine(const std::string& text, const std::string& key) {
  std::regex line("(^|\n)" + key + " = [^\n]*");
  std::string out = std::regex_replace(text, line, "");
  EXPECT_NE(out, text) << "no line '" << key << "' to remove";
  return out;
}

std::string valueOf(const std::string& text, const std::string& key) {
  std::smatch m;
  std::regex line("(?:^|\n)" + key + " = ([^\n]*)");
  EXPECT_TRUE(std::regex_search(text, m, line)) << "no line '" << key << "'";
  return m.size() > 1 ? m[1].str() : "";
}

// Flips one hex digit of a value, keeping it valid hex.
std::string flipHexDigit(std::string hex, size_t index) {
  hex[index] = hex[index] == '0' ? '1' : '0';
  return hex;
}

class IdentityFile : public ::testing::Test {
 protected:
  void SetUp() override { initSodium(); }

  // Saves a fresh identity and returns the file text.
  std::string savedText(const std::string& id = kIdentityProvider) {
    auto ident = Identity::generate(id);
    EXPECT_TRUE(ident->save(dir_.file("seed.id")).ok());
    return readWhole(dir_.file("seed.id"));
  }

  // Writes `text` as a private (0600) identity file and loads it.
  Result<std::unique_ptr<Identity>> loadText(const std::string& text) {
    std::string path = dir_.write("crafted.id", text);
    ::chmod(path.c_str(), 0600);
    return Identity::load(path);
  }

  TempDir dir_;
};

TEST_F(IdentityFile, GeneratesDistinctKeysForSignatureAndTransport) {
  auto a = Identity::generate(kIdentityProvider);
  auto b = Identity::generate(kIdentityProvider);
  EXPECT_EQ(a->id(), kIdentityProvider);
  EXPECT_NE(a->signPublic(), b->signPublic());
  EXPECT_NE(a->curvePublic(), b->curvePublic());
  EXPECT_NE(a->signPublic(), a->curvePublic());
  EXPECT_EQ(a->keyId(), keyIdOf(a->signPublic()));
  EXPECT_EQ(a->keyId().size(), kKeyIdBytes);
}

TEST_F(IdentityFile, KeyIdIsTheFirstEightBytesOfBlake2bOfTheSigningKey) {
  auto a = Identity::generate(kIdentityProvider);
  Bytes full = hash256(a->signPublic().data(), a->signPublic().size());
  EXPECT_EQ(a->keyId(), Bytes(full.begin(), full.begin() + 8));
}

TEST_F(IdentityFile, SaveThenLoadGivesTheSameKeys) {
  auto original = Identity::generate(kIdentityProvider);
  std::string path = dir_.file("agent.id");
  ASSERT_TRUE(original->save(path).ok());

  auto loaded = Identity::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Identity& copy = **loaded;
  EXPECT_EQ(copy.id(), original->id());
  EXPECT_EQ(copy.signPublic(), original->signPublic());
  EXPECT_EQ(copy.curvePublic(), original->curvePublic());
  EXPECT_EQ(copy.keyId(), original->keyId());
  EXPECT_EQ(0, sodium_memcmp(copy.curveSecret(), original->curveSecret(), 32));
}

TEST_F(IdentityFile, SignaturesOfLoadedIdentityVerifyUnderTheOriginalPublicKey) {
  auto original = Identity::generate(kIdentityProvider);
  std::string path = dir_.file("agent.id");
  ASSERT_TRUE(original->save(path).ok());
  auto loaded = Identity::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;

  const std::string text = "rapport från skolenhet 12345678";
  EXPECT_TRUE(signatureVerifies(original->signPublic(), signText(**loaded, text), text));
  EXPECT_TRUE(signatureVerifies((*loaded)->signPublic(), signText(*original, text), text));
  // Ed25519 is deterministic: the same key signs the same bytes identically.
  EXPECT_EQ(signText(**loaded, text), signText(*original, text));
}

TEST_F(IdentityFile, CurveSecretOfLoadedIdentityMatchesItsPublicKey) {
  auto original = Identity::generate("city");
  ASSERT_TRUE(original->save(dir_.file("city.id")).ok());
  auto loaded = Identity::load(dir_.file("city.id"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  PublicKey derived{};
  crypto_scalarmult_base(derived.data(), (*loaded)->curveSecret());
  EXPECT_EQ(derived, original->curvePublic());
}

TEST_F(IdentityFile, SavedFileHasMode0600EvenWithPermissiveUmask) {
  ScopedUmask permissive(0);
  auto ident = Identity::generate(kIdentityProvider);
  std::string path = dir_.file("agent.id");
  ASSERT_TRUE(ident->save(path).ok());
  EXPECT_EQ(permissionBits(path), 0600u);
  EXPECT_TRUE(hasPrivateMode(path));
}

TEST_F(IdentityFile, SaveRefusesToOverwriteAndLeavesTheOldFileIntact) {
  std::string path = dir_.file("agent.id");
  ASSERT_TRUE(Identity::generate(kIdentityProvider)->save(path).ok());
  std::string before = readWhole(path);

  Status second = Identity::generate(kIdentityProvider)->save(path);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("refusing to overwrite"), std::string::npos)
      << second.error().message;
  EXPECT_EQ(readWhole(path), before);
}

TEST_F(IdentityFile, SaveRefusesAnIdThatLoadWouldRefuse) {
  // An id longer than the save buffer must not overflow it, and an id with a newline must not
  // inject lines into the file.
  for (const std::string& id :
       {std::string(2000, '7'), std::string("556677-8899\nsign_secret = 00"), std::string("")}) {
    Status s = Identity::generate(id)->save(dir_.file("bad.id"));
    EXPECT_FALSE(s.ok()) << "id of " << id.size() << " bytes was saved";
    EXPECT_FALSE(std::filesystem::exists(dir_.file("bad.id")));
  }
}

class IdentityFileMode : public IdentityFile, public ::testing::WithParamInterface<unsigned> {};

TEST_P(IdentityFileMode, LoadRefusesGroupOrOtherAccessAndNamesTheFix) {
  std::string path = dir_.file("agent.id");
  ASSERT_TRUE(Identity::generate(kIdentityProvider)->save(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), GetParam()), 0);

  auto loaded = Identity::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::unauthorised);
  EXPECT_NE(loaded.error().message.find("chmod 600"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find(path), std::string::npos) << loaded.error().message;
  EXPECT_FALSE(hasPrivateMode(path));
}

INSTANTIATE_TEST_SUITE_P(GroupOrOtherBits, IdentityFileMode,
                         ::testing::Values(0640u, 0644u, 0604u, 0660u, 0606u, 0601u, 0610u, 0666u,
                                           0777u));

TEST_F(IdentityFile, LoadAcceptsOwnerOnlyModes) {
  std::string path = dir_.file("agent.id");
  ASSERT_TRUE(Identity::generate(kIdentityProvider)->save(path).ok());
  for (unsigned mode : {0400u, 0600u, 0700u}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto loaded = Identity::load(path);
    EXPECT_TRUE(loaded.ok()) << std::oct << mode << ": " << loaded.error().message;
  }
}

TEST_F(IdentityFile, LoadRefusesMissingFile) {
  auto loaded = Identity::load(dir_.file("absent.id"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("absent.id"), std::string::npos);
}

TEST_F(IdentityFile, LoadRefusesADirectory) {
  std::string path = dir_.file("a-directory");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  auto loaded = Identity::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(IdentityFile, LoadRefusesEmptyAndOversizedFiles) {
  EXPECT_FALSE(loadText("").ok());
  std::string text = savedText();
  EXPECT_FALSE(loadText(text + std::string(5000, '#')).ok());
}

TEST_F(IdentityFile, LoadToleratesCommentsBlankLinesAndCrLf) {
  std::string text = savedText();
  std::string crlf = std::regex_replace(text, std::regex("\n"), "\r\n");
  auto loaded = loadText("# restored from backup\n\n" + crlf + "\n# end\n");
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
}

class IdentityFileMissingLine : public IdentityFile,
                                public ::testing::WithParamInterface<const char*> {};

TEST_P(IdentityFileMissingLine, LoadRefusesFileWithoutIt) {
  auto loaded = loadText(withoutLine(savedText(), GetParam()));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::invalidInput);
  EXPECT_NE(loaded.error().message.find("crafted.id"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(EveryRequiredLine, IdentityFileMissingLine,
                         ::testing::Values("id", "sign_public", "sign_secret", "curve_public",
                                           "curve_secret"));

class IdentityFileBadHex : public IdentityFile,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(IdentityFileBadHex, LoadRefusesNonHexShortAndLongValues) {
  std::string text = savedText();
  std::string key = GetParam();
  std::string good = valueOf(text, key);
  std::string nonHex = good;
  nonHex[3] = 'g';
  for (const std::string& bad :
       {nonHex, good.substr(2), good + "00", std::string(""), good.substr(0, good.size() - 1)}) {
    auto loaded = loadText(withValue(text, key, bad));
    ASSERT_FALSE(loaded.ok()) << key << " = " << bad;
    EXPECT_NE(loaded.error().message.find("damaged"), std::string::npos) << loaded.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKeyLine, IdentityFileBadHex,
                         ::testing::Values("sign_public", "sign_secret", "curve_public",
                                           "curve_secret"));

TEST_F(IdentityFile, LoadRefusesIdThatIsNeitherCityNorOrganisationNumber) {
  std::string text = savedText();
  for (const char* id : {"", "stad", "5566778899", "556677-889", "556677-88999", "../city"}) {
    auto loaded = loadText(withValue(text, "id", id));
    EXPECT_FALSE(loaded.ok()) << "id '" << id << "' accepted";
  }
}

TEST_F(IdentityFile, LoadAcceptsCityId) {
  auto loaded = loadText(savedText("city"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*loaded)->id(), "city");
}

TEST_F(IdentityFile, LoadRefusesSigningSecretOfAnotherKeyPair) {
  std::string text = savedText();
  std::string other = readWhole([&] {
    std::string p = dir_.file("other.id");
    EXPECT_TRUE(Identity::generate(kIdentityProvider)->save(p).ok());
    return p;
  }());
  auto loaded = loadText(withValue(text, "sign_secret", valueOf(other, "sign_secret")));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("does not match"), std::string::npos)
      << loaded.error().message;
}

TEST_F(IdentityFile, LoadRefusesSigningSeedThatDoesNotMatchThePublicKey) {
  // libsodium's secret key is seed || public key. Damage in the seed half leaves the embedded
  // public key intact, but every signature made with it would fail to verify.
  std::string text = savedText();
  std::string secret = valueOf(text, "sign_secret");
  for (size_t digit : {size_t{0}, size_t{31}, size_t{63}}) {
    auto loaded = loadText(withValue(text, "sign_secret", flipHexDigit(secret, digit)));
    EXPECT_FALSE(loaded.ok()) << "seed damaged at hex digit " << digit << " was accepted";
  }
}

TEST_F(IdentityFile, LoadRefusesSigningSecretWithDamagedPublicHalf) {
  std::string text = savedText();
  std::string secret = valueOf(text, "sign_secret");
  for (size_t digit : {size_t{64}, size_t{100}, size_t{127}}) {
    auto loaded = loadText(withValue(text, "sign_secret", flipHexDigit(secret, digit)));
    EXPECT_FALSE(loaded.ok()) << "public half damaged at hex digit " << digit << " was accepted";
  }
}

TEST_F(IdentityFile, LoadRefusesPublicKeyThatDoesNotMatchTheSecret) {
  std::string text = savedText();
  for (const char* key : {"sign_public", "curve_public", "curve_secret"}) {
    auto loaded = loadText(withValue(text, key, flipHexDigit(valueOf(text, key), 10)));
    ASSERT_FALSE(loaded.ok()) << key;
    EXPECT_NE(loaded.error().message.find("does not match"), std::string::npos)
        << loaded.error().message;
  }
}

TEST(PublicIdentityText, RoundTripsThroughText) {
  initSodium();
  auto ident = Identity::generate("city");
  PublicIdentity pub = ident->publicPart();
  auto parsed = PublicIdentity::parse(pub.toText(), "city.pub");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->id, "city");
  EXPECT_EQ(parsed->signPublic, ident->signPublic());
  EXPECT_EQ(parsed->curvePublic, ident->curvePublic());
  EXPECT_EQ(parsed->keyId(), ident->keyId());
}

TEST(PublicIdentityText, TextShowsKeyIdAndNoSecret) {
  initSodium();
  auto ident = Identity::generate(kIdentityProvider);
  std::string text = ident->publicPart().toText();
  EXPECT_NE(text.find("key_id = " + toHex(ident->keyId())), std::string::npos);
  EXPECT_EQ(text.find("secret ="), std::string::npos);
  EXPECT_EQ(text.find("_secret"), std::string::npos);
}

TEST(PublicIdentityText, SaveAndLoadRoundTripWithReadableModeAndNoOverwrite) {
  initSodium();
  TempDir dir;
  ScopedUmask permissive(0);
  auto ident = Identity::generate("city");
  std::string path = dir.file("city.pub");
  ASSERT_TRUE(ident->publicPart().save(path).ok());
  EXPECT_EQ(permissionBits(path), 0644u);
  auto loaded = PublicIdentity::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->signPublic, ident->signPublic());
  EXPECT_EQ(loaded->curvePublic, ident->curvePublic());

  Status again = Identity::generate("city")->publicPart().save(path);
  EXPECT_FALSE(again.ok());
  auto reloaded = PublicIdentity::load(path);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->signPublic, ident->signPublic());
}

TEST(PublicIdentityText, LoadOfMissingFileNamesIt) {
  TempDir dir;
  auto loaded = PublicIdentity::load(dir.file("nowhere.pub"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("nowhere.pub"), std::string::npos);
}

TEST(PublicIdentityText, ParseErrorsNameTheSourceAndTheKey) {
  initSodium();
  std::string text = Identity::generate("city")->publicPart().toText();
  struct Case {
    std::string text;
    const char* expected;
  };
  std::string signHex = valueOf(text, "sign_public");
  std::string curveHex = valueOf(text, "curve_public");
  const Case cases[] = {
      {withoutLine(text, "id"), "'id'"},
      {withoutLine(text, "sign_public"), "'sign_public'"},
      {withoutLine(text, "curve_public"), "'curve_public'"},
      {withValue(text, "sign_public", signHex.substr(0, 62)), "'sign_public'"},
      {withValue(text, "sign_public", signHex + "ab"), "'sign_public'"},
      {withValue(text, "sign_public", "z" + signHex.substr(1)), "'sign_public'"},
      {withValue(text, "curve_public", curveHex.substr(1) + "x"), "'curve_public'"},
      {"", "'id'"},
      {"this is not a key file", "'id'"},
  };
  for (const auto& c : cases) {
    auto parsed = PublicIdentity::parse(c.text, "pinned/city.pub");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error().kind, ErrorKind::invalidInput);
    EXPECT_NE(parsed.error().message.find("pinned/city.pub"), std::string::npos);
    EXPECT_NE(parsed.error().message.find(c.expected), std::string::npos) << parsed.error().message;
  }
}

TEST(PublicIdentityText, ParseRefusesKeyIdThatDisagreesWithTheSigningKey) {
  // Operators compare key_id out of band; a file whose key_id belongs to another key is damaged
  // or forged and must not be pinned.
  initSodium();
  std::string text = Identity::generate("city")->publicPart().toText();
  std::string forged = withValue(text, "key_id", toHex(Identity::generate("city")->keyId()));
  auto parsed = PublicIdentity::parse(forged, "city.pub");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("key_id"), std::string::npos) << parsed.error().message;
}

TEST(PublicIdentityText, ParseRefusesIdThatIsNeitherCityNorOrganisationNumber) {
  initSodium();
  std::string text = Identity::generate("city")->publicPart().toText();
  for (const char* id : {"", "City", "556677-889", "city\x1b[2J"}) {
    auto parsed = PublicIdentity::parse(withValue(text, "id", id), "city.pub");
    EXPECT_FALSE(parsed.ok()) << "id '" << id << "' accepted";
  }
}

TEST(PublicIdentityText, ParseAcceptsFileWithoutKeyIdLine) {
  initSodium();
  auto ident = Identity::generate(kIdentityProvider);
  auto parsed = PublicIdentity::parse(withoutLine(ident->publicPart().toText(), "key_id"), "p");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->keyId(), ident->keyId());
}

}  // namespace
}  // namespace samband::common
