// `samband-broker user add|list|remove` as a real process: the password comes from stdin, never
// from argv; bad names, roles and short passwords are refused with a sentence saying what to do.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <httplib.h>

#include "board_test_paths.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace {

struct Shell {
  int exitCode = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line (test-controlled text only) and captures its output.
Shell sh(const std::string& command) {
  Shell r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class UserCli : public ::testing::Test {
 protected:
  void SetUp() override {
    Shell init = sh(std::string(SAMBAND_BROKER_BIN) + " init --dir " + dir_ + "/b");
    ASSERT_EQ(init.exitCode, 0) << init.output;
    config_ = dir_ + "/b/broker.toml";
  }
  std::string broker(const std::string& args) {
    return std::string(SAMBAND_BROKER_BIN) + " " + args + " --config " + config_;
  }

  // A second broker directory on free loopback ports, for the tests whose promise is about a
  // running broker: cli() runs a command against it, serve() starts it and waits for its board.
  void initLive(const std::string& name) {
    const int zmqPort = samband::testing::freePort();
    int boardPort = samband::testing::freePort();
    while (boardPort == zmqPort) boardPort = samband::testing::freePort();
    liveDir_ = dir_ + "/" + name;
    Shell init = sh(std::string(SAMBAND_BROKER_BIN) + " init --dir " + liveDir_ +
                    " --listen tcp://127.0.0.1:" + std::to_string(zmqPort) +
                    " --board-listen 127.0.0.1:" + std::to_string(boardPort));
    ASSERT_EQ(init.exitCode, 0) << init.output;
    board_ = std::make_unique<httplib::Client>("127.0.0.1", boardPort);
    board_->set_connection_timeout(2);
  }
  std::string cli(const std::string& args) {
    return std::string(SAMBAND_BROKER_BIN) + " " + args + " --config " + liveDir_ + "/broker.toml";
  }
  void serve() {
    live_ = std::make_unique<samband::testing::Process>(
        std::vector<std::string>{SAMBAND_BROKER_BIN, "serve", "--config",
                                 liveDir_ + "/broker.toml"},
        liveDir_ + "/serve.log");
    ASSERT_TRUE(samband::testing::waitUntil(
        [&] {
          auto r = board_->Get("/healthz");
          return r && r->status == 200;
        },
        std::chrono::seconds(20)))
        << live_->output();
  }
  // The session cookie of a login on the running board; empty when refused.
  std::string login(const std::string& name, const std::string& password) {
    nlohmann::json body{{"name", name}, {"password", password}};
    auto r = board_->Post("/api/login", body.dump(), "application/json");
    if (!r || r->status != 200) return std::string();
    std::string cookie = r->get_header_value("Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }
  // GET /api/session with `cookie`: its status, and the session when 200.
  int sessionStatus(const std::string& cookie, nlohmann::json* session = nullptr) {
    auto r = board_->Get("/api/session", httplib::Headers{{"Cookie", cookie}});
    if (r && r->status == 200 && session != nullptr) *session = nlohmann::json::parse(r->body);
    return r ? r->status : -1;
  }
  nlohmann::json sessionOf(const std::string& cookie) {
    nlohmann::json session;
    sessionStatus(cookie, &session);
    return session;
  }

  samband::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
  std::string config_;
  std::string liveDir_;
  std::unique_ptr<httplib::Client> board_;
  std::unique_ptr<samband::testing::Process> live_;
};

TEST_F(UserCli, AddsListsAndRemovesAccountsWithThePasswordFromStdin) {
  Shell add =
      sh("printf 'ett långt lösenord\\n' | " + broker("user add --name anna --role operator"));
  ASSERT_EQ(add.exitCode, 0) << add.output;
  EXPECT_NE(add.output.find("Added operator anna"), std::string::npos) << add.output;
  Shell viewer =
      sh("printf 'ett annat lösenord\\n' | " + broker("user add --name olle --role viewer"));
  ASSERT_EQ(viewer.exitCode, 0) << viewer.output;

  Shell list = sh(broker("user list --json"));
  ASSERT_EQ(list.exitCode, 0) << list.output;
  auto users = nlohmann::json::parse(list.output);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["name"], "anna");
  EXPECT_EQ(users[0]["role"], "operator");
  EXPECT_EQ(users[1]["role"], "viewer");
  EXPECT_EQ(list.output.find("argon2"), std::string::npos) << "never print hashes";

  Shell again =
      sh("printf 'ett långt lösenord\\n' | " + broker("user add --name anna --role viewer"));
  EXPECT_NE(again.exitCode, 0);
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;

  Shell remove = sh(broker("user remove --name olle"));
  ASSERT_EQ(remove.exitCode, 0) << remove.output;
  Shell gone = sh(broker("user remove --name olle"));
  EXPECT_NE(gone.exitCode, 0);
  EXPECT_NE(gone.output.find("user list"), std::string::npos) << gone.output;
  Shell text = sh(broker("user list"));
  EXPECT_NE(text.output.find("anna"), std::string::npos);
  EXPECT_EQ(text.output.find("olle"), std::string::npos);
}

TEST_F(UserCli, StoresOnlyAnArgon2idHash) {
  Shell add =
      sh("printf 'hemligt-lösenord-123\\n' | " + broker("user add --name anna --role viewer"));
  ASSERT_EQ(add.exitCode, 0) << add.output;
  Shell dump = sh("sqlite3 " + dir_ + "/b/samband.db 'SELECT password_hash FROM users'");
  if (dump.exitCode != 0) GTEST_SKIP() << "sqlite3 CLI not installed";
  EXPECT_EQ(dump.output.rfind("$argon2id$", 0), 0u) << dump.output;
  EXPECT_EQ(dump.output.find("hemligt"), std::string::npos);
}

TEST_F(UserCli, RefusesBadInputWithAHint) {
  Shell noPassword = sh(broker("user add --name anna --role viewer") + " < /dev/null");
  EXPECT_NE(noPassword.exitCode, 0);
  EXPECT_NE(noPassword.output.find("standard input"), std::string::npos) << noPassword.output;
  Shell shortPassword = sh("printf 'kort\\n' | " + broker("user add --name anna --role viewer"));
  EXPECT_NE(shortPassword.exitCode, 0);
  EXPECT_NE(shortPassword.output.find("at least 10"), std::string::npos) << shortPassword.output;
  Shell badRole =
      sh("printf 'ett långt lösenord\\n' | " + broker("user add --name anna --role admin"));
  EXPECT_NE(badRole.exitCode, 0);
  EXPECT_NE(badRole.output.find("viewer or operator"), std::string::npos) << badRole.output;
  Shell badName =
      sh("printf 'ett långt lösenord\\n' | " + broker("user add --name 'a b<' --role viewer"));
  EXPECT_NE(badName.exitCode, 0);
  EXPECT_NE(badName.output.find("not a valid user name"), std::string::npos) << badName.output;
  // There is no way to pass a password on the command line.
  Shell argv = sh(broker("user add --name anna --role viewer --password secret123456"));
  EXPECT_NE(argv.exitCode, 0);
}

TEST_F(UserCli, AddLimitsAnAccountToDistrictsAndWarnsAboutOnesNoUnitHas) {
  Shell add = sh("printf 'ett långt lösenord\\n' | " +
                 broker("user add --name bodil --role viewer --district Bromma --district Farsta"));
  ASSERT_EQ(add.exitCode, 0) << add.output;
  EXPECT_NE(add.output.find("limited to the units of Bromma and Farsta"), std::string::npos)
      << add.output;
  // The fresh roster has no units: both names are unknown, most likely misspelt.
  EXPECT_NE(add.output.find("no unit in the roster has the district \"Bromma\""), std::string::npos)
      << add.output;
  Shell list = sh(broker("user list --json"));
  ASSERT_EQ(list.exitCode, 0) << list.output;
  auto users = nlohmann::json::parse(list.output);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["districts"], nlohmann::json::array({"Bromma", "Farsta"}));
  Shell text = sh(broker("user list"));
  EXPECT_NE(text.output.find("Bromma, Farsta"), std::string::npos) << text.output;

  Shell bad = sh("printf 'ett långt lösenord\\n' | " +
                 broker("user add --name olle --role viewer --district ''"));
  EXPECT_NE(bad.exitCode, 0);
  EXPECT_NE(bad.output.find("not a district name"), std::string::npos) << bad.output;
}

// The promise is about a running broker: a password reset from the CLI ends the sessions the
// board holds, and only the new password logs in.
TEST_F(UserCli, PasswdReadsStdinAndEndsEverySessionOnTheRunningBoard) {
  initLive("live");
  ASSERT_EQ(sh("printf 'det första lösenordet\\n' | " + cli("user add --name anna --role viewer"))
                .exitCode,
            0);
  serve();
  const std::string first = login("anna", "det första lösenordet");
  const std::string second = login("anna", "det första lösenordet");
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  auto status = [&](const std::string& cookie) { return sessionStatus(cookie); };
  ASSERT_EQ(status(first), 200);

  Shell unknown = sh("printf 'ett nytt långt lösenord\\n' | " + cli("user passwd --name ingen"));
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.output.find("user list"), std::string::npos) << unknown.output;
  Shell tooShort = sh("printf 'kort\\n' | " + cli("user passwd --name anna"));
  EXPECT_NE(tooShort.exitCode, 0);
  EXPECT_NE(tooShort.output.find("at least 10"), std::string::npos) << tooShort.output;
  EXPECT_EQ(status(first), 200) << "a refused reset changes nothing";
  Shell empty = sh(cli("user passwd --name anna") + " < /dev/null");
  EXPECT_NE(empty.exitCode, 0);
  EXPECT_NE(empty.output.find("standard input"), std::string::npos) << empty.output;

  Shell passwd = sh("printf 'ett nytt långt lösenord\\n' | " + cli("user passwd --name anna"));
  ASSERT_EQ(passwd.exitCode, 0) << passwd.output;
  EXPECT_NE(passwd.output.find("ended 2 sessions"), std::string::npos) << passwd.output;
  EXPECT_EQ(status(first), 401);
  EXPECT_EQ(status(second), 401);
  EXPECT_TRUE(login("anna", "det första lösenordet").empty()) << "the old password no longer works";
  EXPECT_FALSE(login("anna", "ett nytt långt lösenord").empty());
  Shell list = sh(cli("user list --json"));
  auto users = nlohmann::json::parse(list.output, nullptr, false);
  ASSERT_TRUE(users.is_array()) << list.output;
  EXPECT_TRUE(users[0]["password_changed_at"].is_string()) << list.output;
  EXPECT_EQ(live_->terminate(), 0) << live_->output();
}

// `user set` against a running broker: the role and districts change without a new password,
// every session of the account ends (an open page must not keep a scope it lost), and the next
// login gets the new role and scope.
TEST_F(UserCli, SetChangesRoleAndDistrictsKeepsThePasswordAndEndsTheSessions) {
  initLive("set");
  ASSERT_EQ(sh("printf 'ett långt lösenord\\n' | " +
               cli("user add --name bodil --role viewer --district Bromma"))
                .exitCode,
            0);
  serve();
  auto login = [&]() { return UserCli::login("bodil", "ett långt lösenord"); };
  auto session = [&](const std::string& cookie) { return sessionOf(cookie); };
  const std::string before = login();
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(session(before)["role"], "viewer");
  EXPECT_EQ(session(before)["districts"], nlohmann::json::array({"Bromma"}));

  // Refused, each with what to do, changing nothing.
  Shell nothing = sh(cli("user set --name bodil"));
  EXPECT_NE(nothing.exitCode, 0);
  EXPECT_NE(nothing.output.find("--every-district"), std::string::npos) << nothing.output;
  Shell unknown = sh(cli("user set --name ingen --role operator"));
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.output.find("user list"), std::string::npos) << unknown.output;
  Shell badRole = sh(cli("user set --name bodil --role admin"));
  EXPECT_NE(badRole.exitCode, 0);
  EXPECT_NE(badRole.output.find("viewer or operator"), std::string::npos) << badRole.output;
  Shell badDistrict = sh(cli("user set --name bodil --district ''"));
  EXPECT_NE(badDistrict.exitCode, 0);
  EXPECT_NE(badDistrict.output.find("not a district name"), std::string::npos)
      << badDistrict.output;
  Shell both = sh(cli("user set --name bodil --district Farsta --every-district"));
  EXPECT_NE(both.exitCode, 0);
  EXPECT_FALSE(session(before).is_null()) << "a refused change ends no session";

  // Only the districts: the role stays.
  Shell districts = sh(cli("user set --name bodil --district Farsta --district Skärholmen"));
  ASSERT_EQ(districts.exitCode, 0) << districts.output;
  EXPECT_NE(districts.output.find("bodil is now a viewer, limited to the units of Farsta and "
                                  "Skärholmen; ended 1 session"),
            std::string::npos)
      << districts.output;
  EXPECT_TRUE(session(before).is_null()) << "the old scope's session ended";
  const std::string limited = login();
  ASSERT_FALSE(limited.empty()) << "the password did not change";
  EXPECT_EQ(session(limited)["districts"], nlohmann::json::array({"Farsta", "Skärholmen"}));

  // Only the role, and then the limit lifted.
  Shell role = sh(cli("user set --name bodil --role operator"));
  ASSERT_EQ(role.exitCode, 0) << role.output;
  EXPECT_NE(role.output.find("bodil is now an operator, limited to the units of Farsta and "
                             "Skärholmen"),
            std::string::npos)
      << role.output;
  Shell every = sh(cli("user set --name bodil --every-district"));
  ASSERT_EQ(every.exitCode, 0) << every.output;
  EXPECT_NE(every.output.find("bodil is now an operator of every district; ended 0 sessions"),
            std::string::npos)
      << every.output;
  const std::string after = login();
  EXPECT_EQ(session(after)["role"], "operator");
  EXPECT_EQ(session(after)["districts"], nlohmann::json::array());
  Shell list = sh(cli("user list --json"));
  auto users = nlohmann::json::parse(list.output, nullptr, false);
  ASSERT_TRUE(users.is_array()) << list.output;
  EXPECT_EQ(users[0]["role"], "operator");
  EXPECT_EQ(users[0]["districts"], nlohmann::json::array());
  EXPECT_EQ(live_->terminate(), 0) << live_->output();
}

}  // namespace
