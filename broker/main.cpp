// samband-broker: the city's broker. Wiring only: parse the command line, call a verb.
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include "broker/commands.h"
#include "common/bytes.h"

int main(int argc, char** argv) {
  using namespace samband::broker;
  samband::common::initSodium();
  ::umask(077);  // the database and logs hold the aggregate picture: private by default
  CLI::App app{"samband-broker: the city's end of Samband (ingest, archive, status)"};
  app.require_subcommand(1);

  InitOptions init;
  auto* initCmd = app.add_subcommand("init", "Create a broker directory: config, city keys, database");
  initCmd->add_option("--dir", init.dir, "Directory to create")->required();
  initCmd->add_option("--listen", init.listen, "ZeroMQ endpoint for agents");
  initCmd->add_option("--board-listen", init.boardListen, "HTTP address of the board");

  std::string config;
  auto* serveCmd = app.add_subcommand("serve", "Run the broker until SIGINT/SIGTERM");
  serveCmd->add_option("--config", config, "Path to broker.toml")->required();

  std::vector<std::string> requests;
  bool transfer = false;
  auto* enrollCmd = app.add_subcommand("enroll", "Enroll a provider from its enroll-request.json");
  enrollCmd->add_option("--config", config, "Path to broker.toml")->required();
  enrollCmd->add_option("--request", requests, "enroll-request.json (repeatable)")->required();
  enrollCmd->add_flag("--transfer", transfer,
                      "Move units that belong to another provider to this one");

  bool json = false;
  auto* statusCmd = app.add_subcommand("status", "Print the current picture");
  statusCmd->add_option("--config", config, "Path to broker.toml")->required();
  statusCmd->add_flag("--json", json, "Print JSON");

  auto* auditCmd = app.add_subcommand("audit", "Re-verify the whole archive");
  auditCmd->add_option("--config", config, "Path to broker.toml")->required();
  auditCmd->add_flag("--json", json, "Print JSON");

  std::string keyId;
  auto* revokeCmd = app.add_subcommand("revoke", "Revoke a provider key from now on");
  revokeCmd->add_option("--config", config, "Path to broker.toml")->required();
  revokeCmd->add_option("--key", keyId, "Key id (hex, as printed by enroll)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (*initCmd) return runInit(init);
  if (*serveCmd) return runServe(config);
  if (*enrollCmd) return runEnroll(config, requests, transfer);
  if (*statusCmd) return runStatus(config, json);
  if (*auditCmd) return runAudit(config, json);
  if (*revokeCmd) return runRevoke(config, keyId);
  return kExitUsage;
}
