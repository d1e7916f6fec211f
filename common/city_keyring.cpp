// See city_keyring.h. The statement layout is fixed and versioned so a root's signature covers
// exactly the bytes an auditor decodes.
#include "common/city_keyring.h"

#include <sodium.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "common/ids.h"
#include "common/signing.h"

namespace samband::common {

namespace {

constexpr uint8_t kStatementVersion = 1;
// version, action, root key id, key id, sign, curve, issuedAt, effectiveAt, label length.
constexpr size_t kFixedBytes = 1 + 1 + 8 + 8 + 32 + 32 + 8 + 8 + 2;
constexpr size_t kMaxCityKeyFileBytes = 1 << 20;

void putI64(Bytes& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(u >> (i * 8)));
}

int64_t getI64(const uint8_t* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | p[i];
  return static_cast<int64_t>(u);
}

Bytes signingInput(std::string_view domain, const Bytes& message) {
  Bytes buf(domain.size() + 1 + message.size());
  std::memcpy(buf.data(), domain.data(), domain.size());
  buf[domain.size()] = 0;
  if (!message.empty()) std::memcpy(buf.data() + domain.size() + 1, message.data(), message.size());
  return buf;
}

bool verifyDomain(const PublicKey& key, std::string_view domain, const Bytes& message,
                  const Bytes& signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  Bytes buf = signingInput(domain, message);
  return crypto_sign_verify_detached(signature.data(), buf.data(), buf.size(), key.data()) == 0;
}

SignedCityKey signStatement(const Identity& root, CityKeyStatement s) {
  SignedCityKey out;
  out.statementBytes = s.encode();
  Bytes buf = signingInput(kCityKeySignDomain, out.statementBytes);
  out.signature = root.sign(buf.data(), buf.size());
  out.statement = std::move(s);
  return out;
}

bool isZero(const PublicKey& k) {
  for (uint8_t b : k) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace

Bytes CityKeyStatement::encode() const {
  Bytes out;
  out.reserve(kFixedBytes + label.size());
  out.push_back(kStatementVersion);
  out.push_back(static_cast<uint8_t>(action));
  Bytes root = rootKeyId, key = keyId;
  root.resize(kKeyIdBytes);
  key.resize(kKeyIdBytes);
  out.insert(out.end(), root.begin(), root.end());
  out.insert(out.end(), key.begin(), key.end());
  out.insert(out.end(), signPublic.begin(), signPublic.end());
  out.insert(out.end(), curvePublic.begin(), curvePublic.end());
  putI64(out, issuedAt);
  putI64(out, effectiveAt);
  const size_t n = std::min(label.size(), kMaxCityKeyLabel);
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n & 0xff));
  out.insert(out.end(), label.begin(), label.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

Result<CityKeyStatement> CityKeyStatement::decode(const Bytes& b) {
  if (b.size() < kFixedBytes) return invalidInput("city key statement is cut short");
  if (b[0] != kStatementVersion) {
    return invalidInput("city key statement of version " + std::to_string(b[0]) +
                        " (this build reads version 1; upgrade Samband)");
  }
  CityKeyStatement s;
  if (b[1] != static_cast<uint8_t>(CityKeyAction::certify) &&
      b[1] != static_cast<uint8_t>(CityKeyAction::revoke)) {
    return invalidInput("city key statement with an unknown action");
  }
  s.action = static_cast<CityKeyAction>(b[1]);
  const uint8_t* p = b.data() + 2;
  s.rootKeyId.assign(p, p + 8);
  s.keyId.assign(p + 8, p + 16);
  std::memcpy(s.signPublic.data(), p + 16, 32);
  std::memcpy(s.curvePublic.data(), p + 48, 32);
  s.issuedAt = getI64(p + 80);
  s.effectiveAt = getI64(p + 88);
  const size_t n = (static_cast<size_t>(p[96]) << 8) | p[97];
  if (n > kMaxCityKeyLabel || b.size() != kFixedBytes + n) {
    return invalidInput("city key statement: label too long or trailing bytes");
  }
  s.label.assign(reinterpret_cast<const char*>(p + 98), n);
  for (char c : s.label) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalidInput("city key statement: label holds control characters");
    }
  }
  if (s.action == CityKeyAction::certify) {
    if (isZero(s.signPublic) || keyIdOf(s.signPublic) != s.keyId) {
      return invalidInput("city key certificate: the key id does not belong to its signing key");
    }
  } else if (!isZero(s.signPublic) || !isZero(s.curvePublic)) {
    return invalidInput("city key revocation carries key material");
  }
  return s;
}

Result<SignedCityKey> SignedCityKey::fromMessage(const CityKeyMsg& m) {
  auto s = CityKeyStatement::decode(m.statement);
  if (!s) return s.error();
  if (m.signature.size() != crypto_sign_BYTES) {
    return invalidInput("city key statement: the signature must be 64 bytes");
  }
  return SignedCityKey{std::move(s).value(), m.statement, m.signature};
}

std::string SignedCityKey::toText() const {
  std::ostringstream out;
  const bool cert = isCertificate();
  out << "# " << (cert ? "Certificate" : "Revocation") << " of city key " << toHex(statement.keyId)
      << " (" << statement.label << ") by root " << toHex(statement.rootKeyId)
      << (cert ? "" : ", from ms " + std::to_string(statement.effectiveAt)) << "\n"
      << (cert ? "certificate" : "revocation") << " = " << toHex(statementBytes) << ":"
      << toHex(signature) << "\n";
  return out.str();
}

SignedCityKey certifyCityKey(const Identity& root, const PublicIdentity& key,
                             const std::string& label, int64_t nowMs) {
  CityKeyStatement s;
  s.action = CityKeyAction::certify;
  s.rootKeyId = root.keyId();
  s.keyId = key.keyId();
  s.signPublic = key.signPublic;
  s.curvePublic = key.curvePublic;
  s.issuedAt = nowMs;
  s.effectiveAt = nowMs;
  s.label = label.substr(0, kMaxCityKeyLabel);
  return signStatement(root, std::move(s));
}

SignedCityKey revokeCityKey(const Identity& root, const Bytes& keyId, const std::string& label,
                            int64_t nowMs, int64_t fromMs) {
  CityKeyStatement s;
  s.action = CityKeyAction::revoke;
  s.rootKeyId = root.keyId();
  s.keyId = keyId;
  s.issuedAt = nowMs;
  s.effectiveAt = fromMs;
  s.label = label.substr(0, kMaxCityKeyLabel);
  return signStatement(root, std::move(s));
}

Result<std::vector<SignedCityKey>> parseCityKeyLines(const std::string& text,
                                                     const std::string& source) {
  std::vector<SignedCityKey> out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    const size_t eq = line.find('=');
    if (eq == std::string::npos || line.empty() || line[0] == '#') continue;
    std::string key = line.substr(0, eq);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    while (!key.empty() && key.front() == ' ') key.erase(0, 1);
    if (key != "certificate" && key != "revocation") continue;
    std::string value = line.substr(eq + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    const std::string where = source + " line " + std::to_string(number);
    const size_t colon = value.find(':');
    CityKeyMsg m;
    if (colon == std::string::npos || !fromHex(value.substr(0, colon), &m.statement) ||
        !fromHex(value.substr(colon + 1), &m.signature)) {
      return invalidInput(where +
                          ": expected HEX:HEX (statement:signature); get the file again "
                          "from the city");
    }
    auto signedKey = SignedCityKey::fromMessage(m);
    if (!signedKey) return invalidInput(where + ": " + signedKey.error().message);
    if (signedKey->isCertificate() != (key == "certificate")) {
      return invalidInput(where + ": the line's name does not match the statement inside it");
    }
    out.push_back(std::move(signedKey).value());
  }
  return out;
}

namespace {

Result<std::string> readSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidInput("cannot read " + path + ": " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxCityKeyFileBytes) return invalidInput(path + " is larger than 1 MiB");
  return text;
}

}  // namespace

Result<std::vector<SignedCityKey>> loadCityKeyLines(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return text.error();
  return parseCityKeyLines(*text, path);
}

PublicKey CityKeysFile::transportKey() const {
  for (const auto& s : statements) {
    if (s.isCertificate()) return s.statement.curvePublic;
  }
  return root.curvePublic;
}

Result<CityKeysFile> loadCityKeysFile(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return text.error();
  auto root = PublicIdentity::parse(*text, path);
  if (!root) return root.error();
  if (root->id != kCitySenderId) {
    return invalidInput(path + " is the public key of '" + root->id +
                        "', not of the city; give the city's root.pub (or city.pub)");
  }
  auto lines = parseCityKeyLines(*text, path);
  if (!lines) return lines.error();
  CityKeysFile out{std::move(root).value(), std::move(lines).value()};
  // Every statement in the file must be the root's: a file mixing roots is a mistake.
  CityKeyring check(out.root.signPublic);
  for (const auto& s : out.statements) {
    if (auto added = check.add(s); !added) {
      return invalidInput(path + ": " + added.error().message);
    }
  }
  return out;
}

CityKeyring::CityKeyring(const PublicKey& root)
    : root_(root), rootKeyIdHex_(toHex(keyIdOf(root))) {}

Result<bool> CityKeyring::add(const CityKeyMsg& message) {
  auto key = SignedCityKey::fromMessage(message);
  if (!key) return key.error();
  return add(*key);
}

Result<bool> CityKeyring::add(const SignedCityKey& key) {
  const CityKeyStatement& s = key.statement;
  if (toHex(s.rootKeyId) != rootKeyIdHex_) {
    return unauthorised("a city key statement signed by another root (" + toHex(s.rootKeyId) +
                        ", pinned root is " + rootKeyIdHex_ +
                        ") was refused; only the city's own root certifies its brokers");
  }
  if (!verifyDomain(root_, kCityKeySignDomain, key.statementBytes, key.signature)) {
    return unauthorised(
        "a city key statement does not verify with the pinned root key; it was "
        "refused (damaged, altered or forged)");
  }
  const std::string id = toHex(s.keyId);
  if (id == rootKeyIdHex_) {
    if (s.action == CityKeyAction::revoke) {
      return unauthorised(
          "a revocation of the root key itself was refused: a lost root is "
          "replaced by a new root, pinned on every agent (docs/operations.md)");
    }
    return false;  // the root certified itself: nothing new
  }
  auto [it, inserted] = keys_.try_emplace(id);
  CityKeyStatus& k = it->second;
  bool changed = inserted;
  if (inserted) k.keyId = s.keyId;
  if (s.action == CityKeyAction::certify) {
    if (!k.certified) {
      k.certified = true;
      k.signPublic = s.signPublic;
      k.curvePublic = s.curvePublic;
      k.label = s.label;
      k.certifiedAt = s.effectiveAt;
      changed = true;
    }
  } else {
    if (k.label.empty()) k.label = s.label;
    if (!k.revokedFrom || s.effectiveAt < *k.revokedFrom) {
      k.revokedFrom = s.effectiveAt;
      changed = true;
    }
  }
  if (changed) statements_.push_back(key);
  return changed;
}

Result<PublicKey> CityKeyring::keyFor(const Bytes& keyId, int64_t atMs) const {
  const std::string id = toHex(keyId);
  if (id == rootKeyIdHex_) return root_;
  auto it = keys_.find(id);
  if (it == keys_.end() || !it->second.certified) {
    return unauthorised("city key " + id + " is not certified by the pinned root " + rootKeyIdHex_ +
                        " (no certificate seen for it)");
  }
  if (it->second.revokedFrom && atMs >= *it->second.revokedFrom) {
    return unauthorised("city key " + id + " (" + it->second.label +
                        ") was revoked by the city's root; messages signed with it are refused");
  }
  return it->second.signPublic;
}

Status CityKeyring::verify(const Bytes& keyId, std::string_view domain, const Bytes& message,
                           const Bytes& signature, int64_t atMs) const {
  auto key = keyFor(keyId, atMs);
  if (!key) return key.error();
  if (!verifyDomain(*key, domain, message, signature)) {
    return unauthorised("the signature does not verify with city key " + toHex(keyId));
  }
  return {};
}

Status CityKeyring::verifyBody(const Bytes& keyId, const Bytes& body, const Bytes& signature,
                               int64_t atMs) const {
  return verify(keyId, std::string_view(kBodySignDomain), body, signature, atMs);
}

std::vector<CityKeyStatus> CityKeyring::keys() const {
  std::vector<CityKeyStatus> out;
  CityKeyStatus root;
  root.keyId = rootKeyId();
  root.label = "root";
  root.signPublic = root_;
  root.isRoot = true;
  root.certified = true;
  out.push_back(root);
  for (const auto& [id, k] : keys_) out.push_back(k);
  return out;
}

Status verifyCityCheckpoint(const CityKeyring& cityKeys, const Bytes& header,
                            const Bytes& signature) {
  auto cp = decodeCheckpoint(header);
  if (!cp) return cp.error();
  auto key = cityKeys.keyFor(cp->cityKeyId, cp->signedAt);
  if (!key) return key.error();
  if (!verifyCheckpoint(*key, header, signature)) {
    return unauthorised("the checkpoint signature does not verify with city key " +
                        toHex(cp->cityKeyId));
  }
  return {};
}

Status verifyCityReceipt(const CityKeyring& cityKeys, const Receipt& receipt) {
  auto key = cityKeys.keyFor(receipt.checkpoint.cityKeyId, receipt.checkpoint.signedAt);
  if (!key) return key.error();
  return verifyReceipt(receipt, *key);
}

}  // namespace samband::common
