// Identity files: generation, 0600-enforced load and save, and the public text form.
#include "common/identity.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "common/ids.h"

namespace samband::common {

namespace {

constexpr size_t kMaxIdentityFileBytes = 4096;

// Splits "key = value" lines; ignores blank lines and '#' comments. Values are views into `text`.
struct KeyValue {
  std::string key;
  const char* value;
  size_t valueSize;
};

std::vector<KeyValue> splitLines(const char* text, size_t size) {
  std::vector<KeyValue> out;
  size_t pos = 0;
  while (pos < size) {
    size_t end = pos;
    while (end < size && text[end] != '\n') ++end;
    std::string_view line(text + pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = line.substr(0, eq);
    std::string_view v = line.substr(eq + 1);
    while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    out.push_back({std::string(k), v.data(), v.size()});
  }
  return out;
}

const KeyValue* find(const std::vector<KeyValue>& kvs, const char* key) {
  for (const auto& kv : kvs) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

bool decodeInto(const KeyValue* kv, uint8_t* out, size_t size) {
  if (kv == nullptr || kv->valueSize != size * 2) return false;
  size_t len = 0;
  return sodium_hex2bin(out, size, kv->value, kv->valueSize, nullptr, &len, nullptr) == 0 &&
         len == size;
}

Status writeFileExclusive(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return invalidInput("cannot create " + path + ": " + std::strerror(errno) +
                        (errno == EEXIST ? " (refusing to overwrite; move it away first)" : ""));
  }
  ::fchmod(fd, mode);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return unavailable("cannot write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  return {};
}

}  // namespace

Bytes keyIdOf(const PublicKey& signPublic) {
  Bytes h = hash256(signPublic.data(), signPublic.size());
  h.resize(kKeyIdBytes);
  return h;
}

bool hasPrivateMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & 077) == 0;
}

std::string PublicIdentity::toText() const {
  std::ostringstream out;
  out << "# Samband public identity: safe to share, pin it in configs.\n"
      << "version = 1\n"
      << "id = " << id << "\n"
      << "key_id = " << toHex(keyId()) << "\n"
      << "sign_public = " << toHex(signPublic.data(), signPublic.size()) << "\n"
      << "curve_public = " << toHex(curvePublic.data(), curvePublic.size()) << "\n";
  return out.str();
}

Result<PublicIdentity> PublicIdentity::parse(const std::string& text, const std::string& source) {
  auto kvs = splitLines(text.data(), text.size());
  PublicIdentity p;
  const KeyValue* id = find(kvs, "id");
  if (id == nullptr) return invalidInput(source + ": missing 'id' line");
  p.id.assign(id->value, id->valueSize);
  if (p.id != kCitySenderId && !isProviderId(p.id)) {
    return invalidInput(source + ": 'id' must be 'city' or an organisation number NNNNNN-NNNN");
  }
  if (!decodeInto(find(kvs, "sign_public"), p.signPublic.data(), 32)) {
    return invalidInput(source + ": 'sign_public' must be 64 hex digits");
  }
  if (!decodeInto(find(kvs, "curve_public"), p.curvePublic.data(), 32)) {
    return invalidInput(source + ": 'curve_public' must be 64 hex digits");
  }
  // key_id is what people compare out of band; it must name the key that is actually pinned.
  if (const KeyValue* keyId = find(kvs, "key_id"); keyId != nullptr) {
    Bytes written;
    if (!fromHex(std::string(keyId->value, keyId->valueSize), &written) || written != p.keyId()) {
      return invalidInput(source +
                          ": 'key_id' does not belong to 'sign_public'; the file is "
                          "damaged or altered, get it again from its owner");
    }
  }
  return p;
}

Result<PublicIdentity> PublicIdentity::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalidInput("cannot read public key file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Status PublicIdentity::save(const std::string& path) const {
  return writeFileExclusive(path, toText(), 0644);
}

Identity::Identity()
    : signSecret_(crypto_sign_SECRETKEYBYTES), curveSecret_(crypto_box_SECRETKEYBYTES) {}

std::unique_ptr<Identity> Identity::generate(const std::string& id) {
  std::unique_ptr<Identity> ident(new Identity());
  ident->id_ = id;
  crypto_sign_keypair(ident->signPublic_.data(), ident->signSecret_.data());
  crypto_box_keypair(ident->curvePublic_.data(), ident->curveSecret_.data());
  return ident;
}

std::unique_ptr<Identity> Identity::generateSharingTransport(const std::string& id,
                                                             const Identity& transport) {
  std::unique_ptr<Identity> ident(new Identity());
  ident->id_ = id;
  crypto_sign_keypair(ident->signPublic_.data(), ident->signSecret_.data());
  ident->curvePublic_ = transport.curvePublic_;
  std::memcpy(ident->curveSecret_.data(), transport.curveSecret_.data(), 32);
  return ident;
}

Result<std::unique_ptr<Identity>> Identity::load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return invalidInput("cannot open identity file " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalidInput("identity file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return unauthorised("identity file " + path + " has mode " + mode +
                        "; it holds secret keys and must be private: run chmod 600 " + path);
  }
  if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxIdentityFileBytes) {
    ::close(fd);
    return invalidInput("identity file " + path + " has an implausible size");
  }
  // Read into secret memory so the secret hex never sits in ordinary heap memory.
  SecretBytes raw(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < raw.size()) {
    ssize_t n = ::read(fd, raw.data() + done, raw.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  auto kvs = splitLines(reinterpret_cast<const char*>(raw.data()), done);
  std::unique_ptr<Identity> ident(new Identity());
  const KeyValue* id = find(kvs, "id");
  if (id == nullptr) return invalidInput("identity file " + path + ": missing 'id' line");
  ident->id_.assign(id->value, id->valueSize);
  if (ident->id_ != kCitySenderId && !isProviderId(ident->id_)) {
    return invalidInput("identity file " + path + ": id '" + ident->id_ +
                        "' is neither 'city' nor an organisation number NNNNNN-NNNN");
  }
  if (!decodeInto(find(kvs, "sign_public"), ident->signPublic_.data(), 32) ||
      !decodeInto(find(kvs, "sign_secret"), ident->signSecret_.data(), 64) ||
      !decodeInto(find(kvs, "curve_public"), ident->curvePublic_.data(), 32) ||
      !decodeInto(find(kvs, "curve_secret"), ident->curveSecret_.data(), 32)) {
    return invalidInput("identity file " + path +
                        " is damaged: sign_public, sign_secret, curve_public and curve_secret "
                        "must be present as hex; restore it from backup");
  }
  // The secret must match the public half, or every signature would be refused later.
  // Re-derive the Ed25519 key pair from the seed: libsodium's secret key is seed || public key,
  // and reading only its copy of the public key would miss damage to the seed.
  PublicKey derived{};
  SecretBytes seed(crypto_sign_SEEDBYTES);
  SecretBytes rederived(crypto_sign_SECRETKEYBYTES);
  crypto_sign_ed25519_sk_to_seed(seed.data(), ident->signSecret_.data());
  crypto_sign_seed_keypair(derived.data(), rederived.data(), seed.data());
  bool signMatches =
      derived == ident->signPublic_ &&
      sodium_memcmp(rederived.data(), ident->signSecret_.data(), crypto_sign_SECRETKEYBYTES) == 0;
  PublicKey curveDerived{};
  crypto_scalarmult_base(curveDerived.data(), ident->curveSecret_.data());
  if (!signMatches || curveDerived != ident->curvePublic_) {
    return invalidInput("identity file " + path +
                        " is inconsistent: a secret key does not match its public key");
  }
  return ident;
}

Status Identity::save(const std::string& path) const {
  // Same rule as load(); it also bounds the id to the fixed-size buffer below.
  if (id_ != kCitySenderId && !isProviderId(id_)) {
    return invalidInput("cannot save identity file " + path +
                        ": the id is neither 'city' nor an organisation number NNNNNN-NNNN");
  }
  // Build the text in secret memory, so the hex secret is wiped after writing.
  const size_t cap = 1024;
  SecretBytes text(cap);
  char* out = reinterpret_cast<char*>(text.data());
  std::string header =
      "# Samband identity: SECRET. Keep this file private (mode 0600) and backed up.\n"
      "version = 1\nid = " +
      id_ + "\nkey_id = " + toHex(keyId()) + "\nsign_public = " + toHex(signPublic_.data(), 32) +
      "\ncurve_public = " + toHex(curvePublic_.data(), 32) + "\nsign_secret = ";
  size_t n = 0;
  std::memcpy(out, header.data(), header.size());
  n += header.size();
  sodium_bin2hex(out + n, cap - n, signSecret_.data(), 64);
  n += 128;
  const char* mid = "\ncurve_secret = ";
  std::memcpy(out + n, mid, std::strlen(mid));
  n += std::strlen(mid);
  sodium_bin2hex(out + n, cap - n, curveSecret_.data(), 32);
  n += 64;
  out[n++] = '\n';
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return invalidInput("cannot create identity file " + path + ": " + std::strerror(errno) +
                        (errno == EEXIST ? " (refusing to overwrite an identity)" : ""));
  }
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, out, n) == static_cast<ssize_t>(n) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return unavailable("cannot write identity file " + path + ": " + std::strerror(errno));
  return {};
}

Bytes Identity::sign(const uint8_t* data, size_t size) const {
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, data, size, signSecret_.data());
  return sig;
}

}  // namespace samband::common
