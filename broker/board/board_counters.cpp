// See board_counters.h.
#include "broker/board/board_counters.h"

#include <sstream>

namespace samband::broker {

namespace {

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

std::string renderBoardCounters(const BoardCounters& c) {
  std::ostringstream out;
  family(out, "samband_board_connections_refused_total", "counter",
         "Connections refused at accept (too many waiting to send a request).");
  out << "samband_board_connections_refused_total{reason=\"per_address\"} "
      << c.connectionsRefusedPerAddress.load() << '\n'
      << "samband_board_connections_refused_total{reason=\"total\"} "
      << c.connectionsRefusedTotal.load() << '\n';
  family(out, "samband_board_request_timeouts_total", "counter",
         "Connections closed because their request did not arrive within request_timeout_s.");
  out << "samband_board_request_timeouts_total " << c.requestTimeouts.load() << '\n';
  family(out, "samband_board_heads_too_large_total", "counter",
         "Connections closed because the request head was too large.");
  out << "samband_board_heads_too_large_total " << c.headsTooLarge.load() << '\n';
  family(out, "samband_board_connections_waiting", "gauge",
         "Connections waiting for a request head (holding no worker thread).");
  out << "samband_board_connections_waiting " << c.connectionsWaiting.load() << '\n';
  family(out, "samband_board_streams_refused_total", "counter",
         "Live streams refused (per session, per address, or all stream slots taken).");
  out << "samband_board_streams_refused_total{reason=\"per_session\"} "
      << c.streamsRefusedPerSession.load() << '\n'
      << "samband_board_streams_refused_total{reason=\"per_address\"} "
      << c.streamsRefusedPerAddress.load() << '\n'
      << "samband_board_streams_refused_total{reason=\"total\"} " << c.streamsRefusedTotal.load()
      << '\n';
  family(out, "samband_login_password_checks_total", "counter",
         "Passwords verified at login (argon2id).");
  out << "samband_login_password_checks_total " << c.passwordChecks.load() << '\n';
  family(out, "samband_login_lockouts_total", "counter",
         "Login lock windows begun, by scope (name_address, address, name).");
  out << "samband_login_lockouts_total{scope=\"name_address\"} " << c.lockoutsNameAddress.load()
      << '\n'
      << "samband_login_lockouts_total{scope=\"address\"} " << c.lockoutsAddress.load() << '\n'
      << "samband_login_lockouts_total{scope=\"name\"} " << c.lockoutsName.load() << '\n';
  family(out, "samband_login_throttled_total", "counter",
         "Login attempts answered 429 without checking the password.");
  out << "samband_login_throttled_total " << c.loginsThrottled.load() << '\n';
  return out.str();
}

}  // namespace samband::broker
