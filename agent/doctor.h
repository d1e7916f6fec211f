// `samband-agent doctor`: everything a support call would ask, checked in order and printed one
// line each with what to do — the config, the identity file's permissions, the clock offset
// the running agent measured, DNS and TCP reach of the broker, a CURVE handshake with this
// agent's key, the last acknowledgement, and disk space. It sends no message: the handshake
// opens and closes a connection, nothing more, so it is safe beside a running agent.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace samband::agent {

enum class DoctorOutcome { ok, warn, fail };

struct DoctorLine {
  std::string check;  // config, identity, clock, dns, tcp, curve, last_ack, disk
  DoctorOutcome outcome = DoctorOutcome::ok;
  std::string text;  // what was found and, unless ok, what to do
};

struct DoctorOptions {
  std::string configPath = "/etc/samband/agent.toml";
  int64_t networkTimeoutMs = 5000;  // per DNS lookup, TCP connect and handshake
};

// Runs the checks in the order above. A config that cannot be read ends the run after its line
// (the others need it); otherwise every check runs, so one call shows every problem.
std::vector<DoctorLine> runDoctor(const DoctorOptions& options, int64_t wallNowMs);

// "ok    clock     ..." lines, and a closing sentence.
std::string doctorText(const std::vector<DoctorLine>& lines);
// 1 when any check failed, else 0 (warnings do not fail).
int doctorExitCode(const std::vector<DoctorLine>& lines);

// The CLI: registers `doctor` on `app` with its flags bound to `options`, and runs it.
CLI::App* addDoctorCommand(CLI::App& app, DoctorOptions& options);
int runDoctorCommand(const DoctorOptions& options, std::ostream& out);

}  // namespace samband::agent
