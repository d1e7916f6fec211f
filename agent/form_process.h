// FormProcess: `samband-agent run` serves the reporting page ([form] listen) from a process of its
// own, samband-agent-form (agent/form_main.cpp), so the daemon itself never loads cpp-httplib and
// OpenSSL (about 4 MiB of mapped libraries: docs/decisions/0012-agent-footprint.md). The page
// never talked to the session anyway: it signs into outbox.db through its own connection, as
// `samband-agent report` does, and the session notices the new rows (inotify on the outbox).
//
// The helper is found next to the running executable. start() waits until it listens (or passes
// on its startup error, e.g. the address in use); a helper that stops later is logged and started
// again after a pause. It dies with `run` (PR_SET_PDEATHSIG) and is stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

// Not thread-safe; owned by the daemon loop.
class FormProcess {
 public:
  // How long a helper that stopped by itself waits before it is started again.
  static constexpr int64_t kRestartPauseMs = 10'000;

  // `config` (with [form] set and a configPath) must outlive this object.
  explicit FormProcess(const AgentConfig& config) : config_(config) {}
  ~FormProcess() { stop(); }
  FormProcess(const FormProcess&) = delete;
  FormProcess& operator=(const FormProcess&) = delete;

  // Starts the helper and waits (at most 30 s) until it serves. Its startup error comes back
  // with the kind it had there (an address in use: unavailable; not an address: invalid input).
  common::Status start();
  // A descriptor that becomes readable when the helper exits (-1 while none runs).
  int exitFd() const { return pidFd_; }
  // Call when exitFd() is readable or at nextWakeMs(): reaps a stopped helper (logged) and
  // starts a new one once the pause is over.
  void onEvent(int64_t monotonicNowMs);
  // When onEvent must run next (INT64_MAX: only on exitFd()).
  int64_t nextWakeMs() const { return restartAtMs_; }
  // SIGTERM, then waits for the helper (SIGKILL after 10 s). Idempotent.
  void stop();

  // Where the helper is looked for: the directory of the running executable.
  static std::string helperPath();

 private:
  common::Status spawn();
  void reap();

  const AgentConfig& config_;
  pid_t pid_ = -1;
  int pidFd_ = -1;
  int64_t restartAtMs_ = INT64_MAX;
};

}  // namespace samband::agent
