// `samband-broker user add|list|remove|passwd`: the board's accounts. Passwords are read from
// standard input (one line) when it is not a terminal, else prompted twice without echo; never
// from argv, where every user of the machine could read them in the process list. `add
// --district D` (repeatable) limits an account to those districts' units; `passwd` resets a
// password and ends every session of the account.
#pragma once

#include <string>
#include <vector>

namespace samband::broker {

int runUserAdd(const std::string& configPath, const std::string& name, const std::string& role,
               const std::vector<std::string>& districts = {});
int runUserPasswd(const std::string& configPath, const std::string& name);
int runUserList(const std::string& configPath, bool json);
int runUserRemove(const std::string& configPath, const std::string& name);

}  // namespace samband::broker
