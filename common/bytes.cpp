// Hex, hashing and secret memory on top of libsodium.
#include "common/bytes.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <new>

namespace samband::common {

void initSodium() {
  if (sodium_init() < 0) {
    std::fputs("fatal: libsodium failed to initialise\n", stderr);
    std::abort();
  }
}

std::string toHex(const uint8_t* data, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.resize(size * 2);
  return out;
}

bool fromHex(const std::string& hex, uint8_t* out, size_t size) {
  if (hex.size() != size * 2) return false;
  size_t len = 0;
  if (sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &len, nullptr) != 0) return false;
  return len == size;
}

bool fromHex(const std::string& hex, Bytes* out) {
  if (hex.size() % 2 != 0) return false;
  out->resize(hex.size() / 2);
  return fromHex(hex, out->data(), out->size());
}

Bytes hash256(const uint8_t* data, size_t size) {
  Bytes out(32);
  crypto_generichash(out.data(), out.size(), data, size, nullptr, 0);
  return out;
}

SecretBytes::SecretBytes(size_t size) : size_(size) {
  initSodium();
  data_ = static_cast<uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
}

SecretBytes::~SecretBytes() { sodium_free(data_); }

}  // namespace samband::common
