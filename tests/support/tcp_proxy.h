// TcpProxy: a TCP forwarder on 127.0.0.1 that a test puts on a link between two processes (e.g.
// the replication link between two brokers) and can cut and heal while both keep running: a
// live network partition. Part of the shared test-support library.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace samband::testing {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards every connection to 127.0.0.1:targetPort
  // (connected when the client connects; a target that refuses closes the client). One thread,
  // poll(). Throws std::runtime_error when it cannot listen.
  explicit TcpProxy(int targetPort);
  // Stops the thread and closes every socket.
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }

  // Cuts the link: closes every forwarded connection (both ends) and, until heal(), closes each
  // new connection as soon as it is accepted, before a byte passes. Returns once the open
  // connections are closed. Thread-safe.
  void cut();
  // Forwards new connections again. Thread-safe.
  void heal();
  // Connections accepted and forwarded since the start (not counting those closed while cut).
  int forwardedConnections() const { return forwarded_.load(); }

 private:
  void run();
  void wake();

  int port_ = 0;
  int targetPort_ = 0;
  int listenFd_ = -1;
  int wakeRead_ = -1;
  int wakeWrite_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> isCut_{false};
  std::atomic<int> forwarded_{0};
  std::mutex mutex_;
  std::condition_variable cutDone_;
  uint64_t cutRequests_ = 0;  // guarded by mutex_
  uint64_t cutsDone_ = 0;     // guarded by mutex_
  std::thread thread_;
};

}  // namespace samband::testing
