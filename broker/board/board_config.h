// BoardOptions: the [board] table of broker.toml (HTTP address, sessions, TLS, limits), read once
// at startup by `serve`. Every key is documented in config/broker.example.toml and docs/board.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/picture/liveness.h"
#include "common/result.h"
#include "common/school_calendar.h"
#include "web/listen_address.h"

namespace samband::broker {

struct BoardOptions {
  std::string listen = "127.0.0.1:8080";  // as written in the config, for messages
  std::string host = "127.0.0.1";
  int port = 8080;         // 0: any free port (tests)
  std::string configPath;  // names the file in messages
  std::string databasePath;
  LivenessRules liveness;
  // [broker] tier: "city", or "county" / "national" for an upstream (its /rollup page).
  std::string tier = "city";
  int64_t sessionTtlMs = 12 * 3600 * 1000LL;      // absolute lifetime of a login
  int64_t reportOldAfterMs = 26 * 3600 * 1000LL;  // older than this (school time) is "old"
  std::vector<common::HolidayRange> holidays;     // [calendar] holidays
  bool secureCookies = false;                     // forced on when TLS is configured
  std::string tlsCert;                            // PEM paths; both or neither
  std::string tlsKey;
  std::string metricsToken;  // empty: /metrics needs no token
  int threads = 32;          // HTTP worker threads; SSE streams may use at most half of them
  // Plain HTTP: a request (head and body) must arrive within this of the connection opening
  // (or of the previous answer on a kept-alive connection); then it is closed with 408.
  int64_t requestTimeoutMs = 5000;
  // Plain HTTP: connections of one client address waiting to send a request; more are refused
  // at once (429). They hold no worker thread while they wait.
  int maxWaitingPerAddress = 32;
  int streamsPerSession = 4;   // live streams (/api/events) one session may hold
  int streamsPerAddress = 16;  // live streams one client address may hold
};

// Splits "host:port" or "[v6]:port" (web/listen_address.h, shared with the agent's [form] listen).
using web::parseHostPort;

}  // namespace samband::broker
