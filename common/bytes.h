// Byte strings, hex encoding, and memory for secrets (sodium_malloc'd, wiped on free).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace samband::common {

using Bytes = std::vector<uint8_t>;

std::string toHex(const uint8_t* data, size_t size);
inline std::string toHex(const Bytes& b) { return toHex(b.data(), b.size()); }
// Returns false unless `hex` is exactly 2*`size` hex digits.
bool fromHex(const std::string& hex, uint8_t* out, size_t size);
bool fromHex(const std::string& hex, Bytes* out);

// BLAKE2b-256 of `data`.
Bytes hash256(const uint8_t* data, size_t size);
inline Bytes hash256(const Bytes& b) { return hash256(b.data(), b.size()); }

// Memory for secret keys: guarded pages from sodium_malloc, zeroed when freed, never copied.
class SecretBytes {
 public:
  explicit SecretBytes(size_t size);
  ~SecretBytes();
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

// Call once per process before any other libsodium use (idempotent, thread-safe).
void initSodium();

}  // namespace samband::common
