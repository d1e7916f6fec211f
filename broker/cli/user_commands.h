// `samband-broker user add|list|set|remove|passwd`: the board's accounts. Passwords are read from
// standard input (one line) when it is not a terminal, else prompted twice without echo; never
// from argv, where every user of the machine could read them in the process list. `add
// --district D` (repeatable) limits an account to those districts' units; `passwd` resets a
// password and ends every session of the account; `set` changes an account's role or districts.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace samband::broker {

int runUserAdd(const std::string& configPath, const std::string& name, const std::string& role,
               const std::vector<std::string>& districts = {});
int runUserPasswd(const std::string& configPath, const std::string& name);
// `user set`: a new role and/or districts (an empty list: every district) for an account; what
// is not given stays. Ends the account's sessions. Replicates as the account's city record.
int runUserSet(const std::string& configPath, const std::string& name,
               const std::optional<std::string>& role,
               const std::optional<std::vector<std::string>>& districts);
int runUserList(const std::string& configPath, bool json);
int runUserRemove(const std::string& configPath, const std::string& name);

}  // namespace samband::broker
