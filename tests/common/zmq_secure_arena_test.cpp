// The CURVE secret-memory arena (common/zmq_secure_arena.h): this executable links it, so
// libzmq's sodium_allocarray/sodium_free calls land in it. Real CURVE sockets on loopback.
#include "common/zmq_secure_arena.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/bytes.h"

namespace samband::common {
namespace {

TEST(ZmqSecureArenaTest, ServesSmallRequestsAndZeroesFreedBlocks) {
  initSodium();
  auto before = secureArenaStats();
  ASSERT_TRUE(before.active);
  auto* p = static_cast<uint8_t*>(sodium_allocarray(100, 1));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p[i], 0);
  std::memset(p, 0xAB, 100);
  EXPECT_EQ(secureArenaStats().allocations, before.allocations + 1);
  EXPECT_GE(secureArenaStats().bytes_in_use, before.bytes_in_use + 100);
  sodium_free(p);
  EXPECT_EQ(secureArenaStats().bytes_in_use, before.bytes_in_use);
  // The block comes back (last freed, first served) and none of the secret is left in it.
  auto* q = static_cast<uint8_t*>(sodium_allocarray(100, 1));
  ASSERT_EQ(q, p);
  for (int i = 0; i < 128; ++i) EXPECT_EQ(q[i], 0) << i;
  sodium_free(q);
}

TEST(ZmqSecureArenaTest, LargeRequestsAndOverflowGoToLibsodium) {
  initSodium();
  auto before = secureArenaStats();
  auto* big = static_cast<uint8_t*>(sodium_allocarray(1, 200 * 1024));
  ASSERT_NE(big, nullptr);
  big[200 * 1024 - 1] = 1;
  EXPECT_EQ(secureArenaStats().fallbacks, before.fallbacks + 1);
  sodium_free(big);  // handed to libsodium's sodium_free: no crash, no leak report
  EXPECT_EQ(sodium_allocarray(SIZE_MAX / 2, 4), nullptr);  // count * size overflows
  sodium_free(nullptr);
}

TEST(ZmqSecureArenaTest, FreesLibsodiumsOwnGuardedMemory) {
  initSodium();
  {
    SecretBytes secret(32);  // sodium_malloc in libsodium, sodium_free through the arena's
    std::memset(secret.data(), 7, 32);
  }
  void* raw = sodium_malloc(64);
  ASSERT_NE(raw, nullptr);
  sodium_free(raw);
}

TEST(ZmqSecureArenaTest, ConcurrentThreadsNeverShareABlock) {
  initSodium();
  auto before = secureArenaStats();
  std::atomic<bool> clash{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &clash] {
      std::mt19937 rng(t);
      std::vector<std::pair<uint8_t*, size_t>> live;
      for (int i = 0; i < 20000; ++i) {
        if (live.size() < 64 && (rng() & 1)) {
          size_t n = 1 + rng() % 5000;
          auto* p = static_cast<uint8_t*>(sodium_allocarray(n, 1));
          std::memset(p, t + 1, n);
          live.emplace_back(p, n);
        } else if (!live.empty()) {
          auto [p, n] = live.back();
          live.pop_back();
          for (size_t k = 0; k < n; ++k)
            if (p[k] != t + 1) clash = true;
          sodium_free(p);
        }
      }
      for (auto& [p, n] : live) sodium_free(p);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(clash.load());
  EXPECT_EQ(secureArenaStats().bytes_in_use, before.bytes_in_use);
}

// libzmq really uses it: a CURVE handshake and a message each way allocate from the arena, and
// everything is back when the sockets are gone.
TEST(ZmqSecureArenaTest, CurveSocketsUseTheArena) {
  initSodium();
  char serverPublic[41], serverSecret[41], clientPublic[41], clientSecret[41];
  ASSERT_EQ(zmq_curve_keypair(serverPublic, serverSecret), 0);
  ASSERT_EQ(zmq_curve_keypair(clientPublic, clientSecret), 0);
  auto before = secureArenaStats();
  {
    zmq::context_t ctx;
    zmq::socket_t server(ctx, zmq::socket_type::router);
    server.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::curve_server, 1);
    server.set(zmq::sockopt::curve_secretkey, std::string(serverSecret));
    server.bind("tcp://127.0.0.1:*");
    std::string endpoint = server.get(zmq::sockopt::last_endpoint);
    zmq::socket_t client(ctx, zmq::socket_type::dealer);
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::curve_serverkey, std::string(serverPublic));
    client.set(zmq::sockopt::curve_publickey, std::string(clientPublic));
    client.set(zmq::sockopt::curve_secretkey, std::string(clientSecret));
    client.connect(endpoint);
    client.send(zmq::str_buffer("report"), zmq::send_flags::none);
    zmq::message_t id, body;
    ASSERT_TRUE(server.recv(id));
    ASSERT_TRUE(server.recv(body));
    EXPECT_EQ(body.to_string(), "report");
    server.send(id, zmq::send_flags::sndmore);
    server.send(zmq::str_buffer("ack"), zmq::send_flags::none);
    zmq::message_t ack;
    ASSERT_TRUE(client.recv(ack));
    EXPECT_EQ(ack.to_string(), "ack");
    // Handshake keys and the message boxes of both ends.
    EXPECT_GE(secureArenaStats().allocations, before.allocations + 6);
  }
  EXPECT_EQ(secureArenaStats().bytes_in_use, before.bytes_in_use);
}

}  // namespace
}  // namespace samband::common
