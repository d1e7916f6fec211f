// See password_prompt.h.
#include "web/password_prompt.h"

#include <signal.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace samband::web {

namespace {

// The terminal settings to put back if the user presses Ctrl-C at the prompt.
struct termios gSavedTerminal;

extern "C" void restoreTerminalAndExit(int) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
  ::_exit(130);
}

bool readHiddenLine(const std::string& prompt, std::string* out) {
  std::cerr << prompt << std::flush;
  ::tcgetattr(STDIN_FILENO, &gSavedTerminal);
  struct termios quiet = gSavedTerminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  struct sigaction onInterrupt {};
  onInterrupt.sa_handler = restoreTerminalAndExit;
  struct sigaction previous {};
  ::sigaction(SIGINT, &onInterrupt, &previous);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  bool ok = static_cast<bool>(std::getline(std::cin, *out));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
  ::sigaction(SIGINT, &previous, nullptr);
  std::cerr << "\n";
  return ok;
}

}  // namespace

common::Result<std::string> readNewPassword(const std::string& name,
                                            const std::string& pipeExample) {
  std::string password;
  if (::isatty(STDIN_FILENO)) {
    std::string again;
    if (!readHiddenLine("Password for " + name + ": ", &password) ||
        !readHiddenLine("Repeat the password: ", &again)) {
      return common::invalidInput("no password was entered; run the command again");
    }
    bool same = password == again;
    sodium_memzero(again.data(), again.size());
    if (!same) {
      sodium_memzero(password.data(), password.size());
      return common::invalidInput("the two passwords differ; run the command again");
    }
  } else {
    if (!std::getline(std::cin, password) || password.empty()) {
      return common::invalidInput("no password on standard input; pipe one line in, e.g. " +
                                  pipeExample);
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
  }
  return password;
}

}  // namespace samband::web
