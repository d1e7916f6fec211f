// samband-broker: the city's broker. Wiring only: parse the command line, call a verb.
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include "broker/cli/city_key_commands.h"
#include "broker/cli/commands.h"
#include "broker/cli/user_commands.h"
#include "common/bytes.h"
#include "common/log.h"
#include "common/process.h"
#include "common/version.h"

int main(int argc, char** argv) {
  using namespace samband::broker;
  samband::common::initSodium();
  ::umask(077);  // the database and logs hold the aggregate picture: private by default
  CLI::App app{"samband-broker: the city's end of Samband (ingest, archive, status)"};
  app.set_version_flag("--version",
                       std::string("samband-broker ") + samband::common::versionText());
  app.require_subcommand(1);

  InitOptions init;
  std::string config;
  auto* initCmd =
      app.add_subcommand("init", "Create a broker directory: config, city keys, database");
  initCmd->add_option("--dir", init.dir, "Directory to create")->required();
  initCmd->add_option("--config", init.config,
                      "Write broker.toml here instead of into --dir (the packages: "
                      "/etc/samband/broker.toml)");
  initCmd->add_option("--listen", init.listen, "ZeroMQ endpoint for agents");
  initCmd->add_option("--board-listen", init.boardListen, "HTTP address of the board");
  initCmd
      ->add_option("--tier", init.tier,
                   "city (default: agents report here), or county|national: an upstream broker "
                   "that cities relay their pictures to (docs/rollup.md)")
      ->check(CLI::IsMember({"city", "county", "national"}));

  std::string rollupCity;
  std::string rollupOut;
  auto* upstreamRequestCmd = app.add_subcommand(
      "upstream-request", "Write this city broker's enrolment request for its upstream broker");
  upstreamRequestCmd->add_option("--config", config, "Path to broker.toml")->required();
  upstreamRequestCmd->add_option("--city", rollupCity, "The city's name, e.g. Uppsala")->required();
  upstreamRequestCmd->add_option("--out", rollupOut, "The request file to write")->required();
  std::string cityRequest;
  auto* enrollCityCmd = app.add_subcommand(
      "enroll-city", "Upstream broker: enrol a city from its upstream-request file");
  enrollCityCmd->add_option("--config", config, "Path to broker.toml")->required();
  enrollCityCmd->add_option("--request", cityRequest, "The city's request file")->required();
  enrollCityCmd->add_option("--out", rollupOut,
                            "Also write the city's [upstream] section to this file");

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
  std::string asOf;
  auto* statusCmd = app.add_subcommand("status", "Print the current picture");
  statusCmd->add_option("--config", config, "Path to broker.toml")->required();
  statusCmd->add_flag("--json", json, "Print JSON");
  statusCmd->add_option("--as-of", asOf,
                        "The picture as it was at this moment, rebuilt from the archive "
                        "(local time 2027-02-23T09:40, or RFC 3339 with an offset)");

  std::string cityKeys;
  std::vector<std::string> receipts;
  auto* auditCmd = app.add_subcommand(
      "audit", "Re-verify the whole archive, its keys, checkpoints and the picture");
  auditCmd->add_option("--config", config, "Path to broker.toml")->required();
  auditCmd->add_flag("--json", json, "Print JSON");
  auditCmd->add_option("--city-keys", cityKeys,
                       "root.pub (or city.pub): prove every key from the city's root alone");
  auditCmd->add_option("--receipt", receipts,
                       "A receipt from 'samband-agent receipt --json' (repeatable)");
  int64_t auditSince = 0;
  int auditThreads = 0;
  bool auditQuiet = false;
  auditCmd->add_option("--since", auditSince,
                       "Frame id to resume from: earlier frames' signatures were verified by an "
                       "earlier run (the progress lines print it); everything else is still "
                       "checked over the whole archive");
  auditCmd
      ->add_option("--threads", auditThreads,
                   "Threads verifying signatures (0: one per core, 1: serial)")
      ->check(CLI::Range(0, 256));
  auditCmd->add_flag("--quiet", auditQuiet, "No progress lines on stderr");
  bool auditAllCheckpoints = false;
  auditCmd->add_flag("--all-checkpoint-signatures", auditAllCheckpoints,
                     "Verify every checkpoint's signature (default: the newest each city key "
                     "signed; the hash chain binds the others to it)");

  std::string inquiryFrom, inquiryTo, inquiryOut, inquiryDir;
  auto* inquiryCmd =
      app.add_subcommand("inquiry", "Export a period for an inquiry, or verify such an export");
  inquiryCmd->require_subcommand(1);
  auto* inquiryExport = inquiryCmd->add_subcommand(
      "export", "Write a self-contained, verifiable folder of a period of the archive");
  inquiryExport->add_option("--config", config, "Path to broker.toml")->required();
  inquiryExport
      ->add_option("--from", inquiryFrom,
                   "Start (local 2027-02-23T08:00, or RFC 3339; the archive's start "
                   "if earlier)")
      ->required();
  inquiryExport->add_option("--to", inquiryTo, "End (local 2027-02-24T18:00, RFC 3339, or 'now')")
      ->required();
  inquiryExport->add_option("--out", inquiryOut, "A new folder to write")->required();
  auto* inquiryVerify = inquiryCmd->add_subcommand(
      "verify", "Check an inquiry export: every file, signature, chain, checkpoint and picture");
  inquiryVerify->add_option("dir", inquiryDir, "The export's folder")->required();
  inquiryVerify->add_flag("--json", json, "Print JSON");
  inquiryVerify->add_option("--city-keys", cityKeys,
                            "root.pub (or city.pub): prove every key from the city's root alone");

  auto* certifyCmd = app.add_subcommand(
      "certify-keys",
      "Sign city enrolment records for keys enrolled before records existed (check them first)");
  certifyCmd->add_option("--config", config, "Path to broker.toml")->required();

  std::string importFile;
  auto* importCmd = app.add_subcommand(
      "import", "Import an offline file written by samband-agent export (USB transfer)");
  importCmd->add_option("--config", config, "Path to broker.toml")->required();
  importCmd->add_option("file", importFile, "The offline file")->required();
  importCmd->add_flag("--json", json, "Print the summary as JSON");

  std::string keyId;
  auto* revokeCmd = app.add_subcommand("revoke", "Revoke a provider key from now on");
  revokeCmd->add_option("--config", config, "Path to broker.toml")->required();
  revokeCmd->add_option("--key", keyId, "Key id (hex, as printed by enroll)")->required();

  std::optional<std::string> keysProvider;
  auto* keysCmd = app.add_subcommand("keys", "List enrolled provider keys (to find one to revoke)");
  keysCmd->add_option("--config", config, "Path to broker.toml")->required();
  keysCmd->add_option("--provider", keysProvider, "Only this provider (organisation number)");
  keysCmd->add_flag("--json", json, "Print JSON");

  auto* rosterCmd =
      app.add_subcommand("roster", "Import or export the roster of school units (CSV)");
  rosterCmd->require_subcommand(1);
  std::string rosterFile;
  auto* rosterImport = rosterCmd->add_subcommand("import", "Load unit metadata from a CSV file");
  rosterImport->add_option("--config", config, "Path to broker.toml")->required();
  rosterImport->add_option("file", rosterFile, "Roster CSV (see docs/planning.md)")->required();
  rosterImport->add_flag("--transfer", transfer, "Allow moving units to another provider");
  auto* rosterExport = rosterCmd->add_subcommand("export", "Write the roster as CSV");
  rosterExport->add_option("--config", config, "Path to broker.toml")->required();
  rosterExport->add_option("file", rosterFile, "Output file (default: standard output)");

  PlanCommandOptions plan;
  auto* planCmd = app.add_subcommand("plan", "Takeover planning and contingency analysis");
  planCmd->require_subcommand(1);
  auto addPlanOptions = [&](CLI::App* cmd) {
    cmd->add_option("--config", config, "Path to broker.toml")->required();
    cmd->add_option("--max-km", plan.maxKm, "Only seats within this distance (km)");
    cmd->add_option("--horizon", plan.horizon, "Seats free now or within 72 h")
        ->check(CLI::IsMember({"now", "72h"}));
    cmd->add_option("--format", plan.format, "text, json or csv")
        ->check(CLI::IsMember({"text", "json", "csv"}));
  };
  auto* takeoverCmd = planCmd->add_subcommand("takeover", "Place the pupils of failing units");
  addPlanOptions(takeoverCmd);
  takeoverCmd->add_option("--failing", plan.failing,
                          "Organisation numbers or unit codes that fail (besides closed units "
                          "and providers that cannot continue)");
  takeoverCmd->add_flag("--what-if", plan.includeWhatIf,
                        "Also treat the units marked failing on the board as failing");
  auto* contingencyCmd =
      planCmd->add_subcommand("contingency", "Every provider and every district failing alone");
  addPlanOptions(contingencyCmd);
  for (auto* cmd : {takeoverCmd, contingencyCmd}) {
    cmd->add_option("--fill", plan.fill,
                    "Use at most this share of a class's free seats (default 0.95)");
    cmd->add_flag("--include-reduced", plan.includeReduced,
                  "Let units on reduced operation receive pupils too");
    cmd->add_flag("--include-closed", plan.includeClosed,
                  "Also plan closed units not known to stay closed beyond the horizon");
  }

  std::string capacityFile;
  auto* capacityCmd =
      app.add_subcommand("capacity", "Capacity figures from the city's registers (CSV)");
  capacityCmd->require_subcommand(1);
  auto* capacityImport = capacityCmd->add_subcommand(
      "import", "Load enrolment and free seats per unit, form and year from a CSV file");
  capacityImport->add_option("--config", config, "Path to broker.toml")->required();
  capacityImport->add_option("file", capacityFile, "Capacity CSV (see docs/planning.md)")
      ->required();
  auto* capacityExport = capacityCmd->add_subcommand(
      "export", "Write the newest figure of every unit, form and year as CSV");
  capacityExport->add_option("--config", config, "Path to broker.toml")->required();
  capacityExport->add_option("--out", capacityFile, "Output file (default: standard output)");

  std::string contactProvider, contactText;
  auto* contactCmd = app.add_subcommand(
      "contact", "Providers' duty contacts, as the city keeps them (shown on takeover plans)");
  contactCmd->require_subcommand(1);
  auto* contactSet = contactCmd->add_subcommand("set", "Set (or clear) a provider's duty contact");
  contactSet->add_option("--config", config, "Path to broker.toml")->required();
  contactSet->add_option("--provider", contactProvider, "Organisation number")->required();
  contactSet
      ->add_option("--text", contactText,
                   "Who to call, e.g. \"IT-jour 08-123 456 78\"; empty clears it")
      ->required();
  auto* contactList = contactCmd->add_subcommand("list", "List every provider's duty contact");
  contactList->add_option("--config", config, "Path to broker.toml")->required();
  contactList->add_flag("--json", json, "Print JSON");

  std::string userName, userRole;
  std::vector<std::string> userDistricts;
  auto* userCmd = app.add_subcommand("user", "Accounts of the status board (viewer, operator)");
  userCmd->require_subcommand(1);
  auto* userAdd = userCmd->add_subcommand(
      "add", "Add an account; the password is read from stdin or prompted, never from argv");
  userAdd->add_option("--config", config, "Path to broker.toml")->required();
  userAdd->add_option("--name", userName, "User name")->required();
  userAdd->add_option("--role", userRole, "viewer or operator")->required();
  userAdd
      ->add_option("--district", userDistricts,
                   "Limit the account to this district's units (repeat for several; as the "
                   "roster writes it). Without it: every district")
      ->take_all()
      ->allow_extra_args(false);
  auto* userList = userCmd->add_subcommand("list", "List the accounts");
  userList->add_option("--config", config, "Path to broker.toml")->required();
  userList->add_flag("--json", json, "Print JSON");
  auto* userSet = userCmd->add_subcommand(
      "set",
      "Change an account's role or districts (what is not given stays) and end its sessions");
  userSet->add_option("--config", config, "Path to broker.toml")->required();
  userSet->add_option("--name", userName, "User name")->required();
  std::optional<std::string> userNewRole;
  std::vector<std::string> userNewDistricts;
  bool userEveryDistrict = false;
  userSet->add_option("--role", userNewRole, "viewer or operator");
  auto* userSetDistrict =
      userSet
          ->add_option("--district", userNewDistricts,
                       "Limit the account to this district's units instead of its present ones "
                       "(repeat for several; as the roster writes it)")
          ->take_all()
          ->allow_extra_args(false);
  userSet->add_flag("--every-district", userEveryDistrict, "Lift the account's district limit")
      ->excludes(userSetDistrict);
  auto* userRemove = userCmd->add_subcommand("remove", "Remove an account and end its sessions");
  userRemove->add_option("--config", config, "Path to broker.toml")->required();
  userRemove->add_option("--name", userName, "User name")->required();
  auto* userPasswd = userCmd->add_subcommand(
      "passwd",
      "Set a new password (read from stdin or prompted, never from argv) and end every session "
      "of the account");
  userPasswd->add_option("--config", config, "Path to broker.toml")->required();
  userPasswd->add_option("--name", userName, "User name")->required();

  ReadinessRunOptions readinessRun;
  std::optional<std::string> checkId, date, directiveId;
  std::string format = "text";
  auto* readinessCmd = app.add_subcommand("readiness", "Readiness checks of every provider");
  readinessCmd->require_subcommand(1);
  auto* readinessRunCmd = readinessCmd->add_subcommand("run", "Send a readiness check now");
  readinessRunCmd->add_option("--config", config, "Path to broker.toml")->required();
  readinessRunCmd->add_option("--deadline", readinessRun.deadline, "Time to answer, e.g. 10m");
  readinessRunCmd->add_flag("--wait", readinessRun.wait,
                            "Wait for the answers (or the deadline) and print the report");
  readinessRunCmd->add_flag("--require-confirmation", readinessRun.requireConfirmation,
                            "A person must confirm with 'samband-agent confirm'");
  readinessRunCmd
      ->add_option("--mode", readinessRun.mode,
                   "actual (default), exercise, system or test: only actual traffic changes the "
                   "real picture")
      ->check(CLI::IsMember({"actual", "exercise", "test", "system"}));
  readinessRunCmd->add_option("--format", readinessRun.format, "Report format with --wait")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  auto* readinessReportCmd =
      readinessCmd->add_subcommand("report", "Who answered, late, missing; exit 3 if not all OK");
  readinessReportCmd->add_option("--config", config, "Path to broker.toml")->required();
  readinessReportCmd->add_option("--check", checkId, "Check id (default: the newest)");
  readinessReportCmd->add_option("--date", date,
                                 "The newest check of this day (YYYY-MM-DD, or today: a day "
                                 "without a scheduled check then exits 0)");
  readinessReportCmd->add_option("--format", format, "text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}));

  DirectiveSendOptions directive;
  auto* directiveCmd = app.add_subcommand("directive", "Signed city directives to providers");
  directiveCmd->require_subcommand(1);
  auto* directiveSendCmd = directiveCmd->add_subcommand("send", "Send a directive");
  directiveSendCmd->add_option("--config", config, "Path to broker.toml")->required();
  directiveSendCmd->add_option("--to", directive.to, "all, or ORGNR[,ORGNR...]")->required();
  directiveSendCmd->add_option("--text", directive.text, "What providers must know or do")
      ->required();
  directiveSendCmd->add_option("--level", directive.level, "Set the readiness level")
      ->check(CLI::IsMember({"unchanged", "normal", "heightened", "highest"}));
  directiveSendCmd->add_flag("--require-ack", directive.requireAck,
                             "A person at each provider must acknowledge it");
  directiveSendCmd->add_option("--expires", directive.expires, "Validity, e.g. 24h or 7d");
  directiveSendCmd
      ->add_option("--mode", directive.mode,
                   "actual (default), exercise, system or test: only actual traffic changes the "
                   "real picture")
      ->check(CLI::IsMember({"actual", "exercise", "test", "system"}));
  auto* directiveStatusCmd =
      directiveCmd->add_subcommand("status", "Delivered to, acknowledged by, still missing");
  directiveStatusCmd->add_option("--config", config, "Path to broker.toml")->required();
  directiveStatusCmd->add_option("--id", directiveId, "Directive id (default: all)");
  directiveStatusCmd->add_flag("--json", json, "Print JSON");

  auto* calendarCmd = app.add_subcommand("calendar", "The school calendar the broker counts in");
  calendarCmd->require_subcommand(1);
  std::string calendarFile, calendarFrom, calendarTo;
  auto* calendarImport = calendarCmd->add_subcommand(
      "import", "Store the city's school holidays from an iCalendar (.ics) file");
  calendarImport->add_option("--config", config, "Path to broker.toml")->required();
  calendarImport->add_option("file", calendarFile, "iCalendar file, one VEVENT per holiday")
      ->required();
  auto* calendarShow =
      calendarCmd->add_subcommand("show", "Each day of a period: school day, or why not");
  calendarShow->add_option("--config", config, "Path to broker.toml")->required();
  calendarShow->add_option("--from", calendarFrom, "First day, YYYY-MM-DD")->required();
  calendarShow->add_option("--to", calendarTo, "Last day, YYYY-MM-DD")->required();
  calendarShow->add_flag("--json", json, "Print JSON");

  // The city key hierarchy (issue 15; docs/operations.md "City keys").
  auto* cityKeyCmd = app.add_subcommand(
      "city-key", "The city's offline root key and the broker keys it certifies or revokes");
  cityKeyCmd->require_subcommand(1);
  std::string cityKeyOut, cityKeyRootPub, cityKeyTransport;
  std::vector<std::string> cityKeyFiles;
  auto* cityKeyInit = cityKeyCmd->add_subcommand(
      "init", "Create the city's root key (root.identity, kept offline, and root.pub)");
  cityKeyInit->add_option("--out", cityKeyOut, "Directory to write them into")->required();
  CityKeyCertifyOptions certify;
  auto* cityKeyCertify = cityKeyCmd->add_subcommand(
      "certify", "Certify a broker's operational city key with the root");
  cityKeyCertify->add_option("--root", certify.root, "The root's root.identity")->required();
  cityKeyCertify->add_option("--key", certify.key,
                             "The broker's city.pub (default: the identity --config names)");
  cityKeyCertify->add_option("--label", certify.label, "The broker's name, e.g. primary")
      ->required();
  cityKeyCertify->add_option("--out", certify.out, "Write the certificate to this file");
  cityKeyCertify->add_option("--config", certify.config,
                             "Also archive it in this broker's city chain (broker.toml)");
  CityKeyRevokeOptions revokeKey;
  auto* cityKeyRevoke = cityKeyCmd->add_subcommand(
      "revoke", "Revoke a broker's city key with the root, from a time on");
  cityKeyRevoke->add_option("--root", revokeKey.root, "The root's root.identity")->required();
  cityKeyRevoke->add_option("--key-id", revokeKey.keyId, "Key id (hex, from city-key list)")
      ->required();
  cityKeyRevoke->add_option("--label", revokeKey.label, "Why or which broker (shown in lists)");
  cityKeyRevoke->add_option("--from", revokeKey.from,
                            "Refused from this moment on (local 2027-02-23T09:40, RFC 3339, or "
                            "now; default now)");
  cityKeyRevoke->add_option("--out", revokeKey.out, "Write the revocation to this file");
  cityKeyRevoke->add_option("--config", revokeKey.config,
                            "Also archive it in this broker's city chain (broker.toml)");
  auto* cityKeyAdd = cityKeyCmd->add_subcommand(
      "add", "Archive certificate or revocation files in this broker's city chain");
  cityKeyAdd->add_option("--config", config, "Path to broker.toml")->required();
  cityKeyAdd->add_option("--root-pub", cityKeyRootPub,
                         "root.pub (needed the first time; then the recorded root is used)");
  cityKeyAdd->add_option("files", cityKeyFiles, "Certificate or revocation files")->required();
  auto* cityKeyList = cityKeyCmd->add_subcommand(
      "list", "The city keys the archive proves from the root: certified, revoked, this broker's");
  cityKeyList->add_option("--config", config, "Path to broker.toml")->required();
  cityKeyList->add_option("--root-pub", cityKeyRootPub,
                          "root.pub (default: the root recorded in the database)");
  cityKeyList->add_flag("--json", json, "Print JSON");
  auto* cityKeyNew = cityKeyCmd->add_subcommand(
      "new", "A new broker identity (to certify), optionally keeping an identity's transport key");
  cityKeyNew->add_option("--out", cityKeyOut, "The new city.identity to write")->required();
  cityKeyNew->add_option("--transport-from", cityKeyTransport,
                         "Keep this identity's transport (CURVE) key, so agents reach the new "
                         "key without a change");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (*initCmd) return runInit(init);
  if (*serveCmd) {
    // One descriptor per connected agent: take what the system allows before listening.
    samband::common::logInfo(
        "broker", "open-file limit " + std::to_string(samband::common::raiseOpenFileLimit()));
    return runServe(config);
  }
  if (*enrollCmd) return runEnroll(config, requests, transfer);
  if (*upstreamRequestCmd) return runUpstreamRequest(config, rollupCity, rollupOut);
  if (*enrollCityCmd) return runEnrollCity(config, cityRequest, rollupOut);
  if (*statusCmd) return runStatus(config, json, asOf);
  if (*auditCmd) {
    return runAudit(config, json, cityKeys, receipts, auditSince, auditThreads, auditQuiet,
                    auditAllCheckpoints);
  }
  if (*inquiryExport) return runInquiryExport(config, inquiryFrom, inquiryTo, inquiryOut);
  if (*inquiryVerify) return runInquiryVerify(inquiryDir, json, cityKeys);
  if (*certifyCmd) return runCertifyKeys(config);
  if (*revokeCmd) return runRevoke(config, keyId);
  if (*keysCmd) return runKeys(config, keysProvider, json);
  if (*importCmd) return runImport(config, importFile, json);
  if (*userAdd) return runUserAdd(config, userName, userRole, userDistricts);
  if (*userPasswd) return runUserPasswd(config, userName);
  if (*userList) return runUserList(config, json);
  if (*userRemove) return runUserRemove(config, userName);
  if (*userSet) {
    std::optional<std::vector<std::string>> districts;
    if (userEveryDistrict) districts.emplace();
    if (!userNewDistricts.empty()) districts = userNewDistricts;
    return runUserSet(config, userName, userNewRole, districts);
  }
  if (*readinessRunCmd) return runReadinessRun(config, readinessRun);
  if (*readinessReportCmd) return runReadinessReport(config, checkId, date, format);
  if (*directiveSendCmd) return runDirectiveSend(config, directive);
  if (*directiveStatusCmd) return runDirectiveStatus(config, directiveId, json);
  if (*calendarImport) return runCalendarImport(config, calendarFile);
  if (*calendarShow) return runCalendarShow(config, calendarFrom, calendarTo, json);
  if (*rosterImport) return runRosterImport(config, rosterFile, transfer);
  if (*rosterExport) return runRosterExport(config, rosterFile);
  if (*takeoverCmd) return runPlanTakeover(config, plan);
  if (*contingencyCmd) return runPlanContingency(config, plan);
  if (*capacityImport) return runCapacityImport(config, capacityFile);
  if (*capacityExport) return runCapacityExport(config, capacityFile);
  if (*contactSet) return runContactSet(config, contactProvider, contactText);
  if (*contactList) return runContactList(config, json);
  if (*cityKeyInit) return runCityKeyInit(cityKeyOut);
  if (*cityKeyCertify) return runCityKeyCertify(certify);
  if (*cityKeyRevoke) return runCityKeyRevoke(revokeKey);
  if (*cityKeyAdd) return runCityKeyAdd(config, cityKeyRootPub, cityKeyFiles);
  if (*cityKeyList) return runCityKeyList(config, cityKeyRootPub, json);
  if (*cityKeyNew) return runCityKeyNew(cityKeyOut, cityKeyTransport);
  return kExitUsage;
}
