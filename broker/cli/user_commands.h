// `samband-broker user add|list|remove`: the board's accounts. Passwords are read from standard
// input (one line) when it is not a terminal, else prompted twice without echo; never from argv,
// where every user of the machine could read them in the process list.
#pragma once

#include <string>

namespace samband::broker {

int runUserAdd(const std::string& configPath, const std::string& name, const std::string& role);
int runUserList(const std::string& configPath, bool json);
int runUserRemove(const std::string& configPath, const std::string& name);

}  // namespace samband::broker
