// The samband-agent command line (CLI11): init, setup, run, report, last, status, inbox, confirm,
// ack, export, rotate-key, receipt, doctor, and user/token (who may use the reporting page and
// its API). Each command turns its flags into a request for the code that does the work and
// prints one clear sentence on failure.
#include "agent/cli.h"

#include <sodium.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/agent_identity.h"
#include "agent/agent_init.h"
#include "agent/agent_status.h"
#include "agent/daemon.h"
#include "agent/database.h"
#include "agent/doctor.h"
#include "agent/form_accounts.h"
#include "agent/form_commands.h"
#include "agent/inbox_commands.h"
#include "agent/key_rotation.h"
#include "agent/last_report.h"
#include "agent/last_report_view.h"
#include "agent/link_state.h"
#include "agent/offline_export.h"
#include "agent/outbox.h"
#include "agent/receipt_store.h"
#include "agent/report_json.h"
#include "agent/report_request.h"
#include "agent/report_submit.h"
#include "agent/setup.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/log.h"
#include "common/process.h"
#include "common/version.h"
#include "common/vocabulary.h"
#include "web/password_prompt.h"
#include "web/passwords.h"

namespace samband::agent {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;   // the environment failed (disk, network, another process)
constexpr int kExitBadInput = 2;  // fix the command or the config and try again

int fail(const common::Error& error) {
  std::fprintf(stderr, "samband-agent: %s\n", error.message.c_str());
  switch (error.kind) {
    case common::ErrorKind::invalidInput:
    case common::ErrorKind::unauthorised:
    case common::ErrorKind::notFound:
    case common::ErrorKind::conflict:
      return kExitBadInput;
    default:
      return kExitFailure;
  }
}

// "--pupils-present 180" as text, so that "-3" or "many" get a sentence of their own; "unknown"
// resets a count carried forward from the last report.
common::Status parseCount(const std::string& text, const char* flag, std::optional<int64_t>* out) {
  if (text.empty()) return {};
  if (text == "unknown") {
    *out = kUnknownCount;
    return {};
  }
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size() || text.size() > 12) {
    return common::invalidInput(std::string(flag) + " '" + text + "' is not a whole number");
  }
  int64_t v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return common::invalidInput(std::string(flag) + " '" + text + "' is not a whole number");
    }
    v = v * 10 + (text[i] - '0');
  }
  *out = text[0] == '-' ? -v : v;
  return {};
}

std::optional<std::string> given(const CLI::Option* opt, const std::string& value) {
  if (opt->count() == 0) return std::nullopt;
  return value;
}

struct CountFlags {
  std::string pupilsEnrolled, pupilsPresent, staffTotal, staffAvailable, backupHours, foodDays;
};

struct TextFlags {
  std::string operational, reason, expectedReopen, criticalCare, specialSupport, electricity,
      heating, water, food, it, telephony, note, validUntil, closedUntil, continuity,
      continuityFrom, continuityNote;
};

int runInit(const InitRequest& request) {
  common::SystemClock clock;
  auto result = initAgentDirectory(request, clock.nowMs());
  if (!result) return fail(result.error());
  std::printf(
      "Created the agent for %s in %s (key id %s).\n"
      "Next:\n"
      "  1. Send %s to the city (e-mail is fine: it holds only public keys and is signed).\n"
      "     Confirm the key id %s with the city by phone.\n"
      "  2. Back up %s now, to somewhere safe and private: it cannot be recreated.\n"
      "  3. Start the agent: samband-agent run --config %s (or the systemd unit in "
      "docs/agent.md).\n",
      request.provider.c_str(), request.dir.c_str(), result->keyId.c_str(),
      result->requestPath.c_str(), result->keyId.c_str(), result->identityPath.c_str(),
      result->configPath.c_str());
  return kExitOk;
}

int runRun(const std::string& configPath) {
  common::hardenProcess();
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  if (common::Status s = runDaemon(*config); !s) return fail(s.error());
  return kExitOk;
}

// Reads a JSON report from FILE or from stdin ("-"), at most kMaxReportJsonBytes.
common::Result<std::string> readReportJsonFile(const std::string& path) {
  std::string body;
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      return common::invalidInput("cannot read the JSON report " + path + ": " +
                                  std::strerror(errno) + "; give a readable file or - for stdin");
    }
    in = &file;
  }
  char buf[4096];
  while (*in) {
    in->read(buf, sizeof buf);
    body.append(buf, static_cast<size_t>(in->gcount()));
    if (body.size() > kMaxReportJsonBytes) {
      return common::invalidInput("the JSON report " + path + " is larger than " +
                                  std::to_string(kMaxReportJsonBytes / 1024) +
                                  " KiB; send one unit's report at a time");
    }
  }
  return body;
}

int runReport(const std::string& configPath, ReportRequest request, const CountFlags& counts,
              const std::string& jsonPath, std::ostream& out) {
  if (!jsonPath.empty()) {
    auto body = readReportJsonFile(jsonPath);
    if (!body) return fail(body.error());
    auto parsed = parseReportJson(*body);
    if (!parsed) {
      return fail(common::invalidInput((jsonPath == "-" ? std::string("stdin") : jsonPath) + ": " +
                                       parsed.error().message));
    }
    request = std::move(*parsed);
  }
  for (const auto& [text, flag, target] :
       {std::tuple{&counts.pupilsEnrolled, "--pupils-enrolled", &request.pupilsEnrolled},
        std::tuple{&counts.pupilsPresent, "--pupils-present", &request.pupilsPresent},
        std::tuple{&counts.staffTotal, "--staff-total", &request.staffTotal},
        std::tuple{&counts.staffAvailable, "--staff-available", &request.staffAvailable},
        std::tuple{&counts.backupHours, "--backup-hours", &request.backupHours},
        std::tuple{&counts.foodDays, "--food-days", &request.foodDays}}) {
    if (common::Status s = parseCount(*text, flag, target); !s) return fail(s.error());
  }
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  common::SystemClock clock;
  auto db = openAgentDatabase(config->outboxPath, OpenMode::createIfMissing);
  if (!db) return fail(db.error());
  auto queued = submitReport(**db, *config, request, clock.nowMs());
  if (!queued) return fail(queued.error());
  for (const auto& q : *queued) {
    out << "queued seq " << q.seq << ": " << q.kind;
    if (!q.unit.empty()) out << " for unit " << q.unit;
    out << " (" << request.mode << ")\n";
  }
  auto summary = Outbox::summarize(**db);
  LinkStateStore store(**db);
  auto link = store.read();
  size_t pending = summary ? summary->pending : 0;
  if (link && link->isLive(clock.nowMs()) && link->connected) {
    out << pending << " message(s) in the outbox; the running agent is connected and sends "
        << "them now.\n";
  } else if (link && link->isLive(clock.nowMs())) {
    out << pending << " message(s) in the outbox; the running agent is not connected to the "
        << "broker yet and sends them when it is (samband-agent status tells why).\n";
  } else {
    out << pending << " message(s) in the outbox; 'samband-agent run' is not running: they go "
        << "out when it starts.\n";
  }
  return kExitOk;
}

int runLast(const std::string& configPath, const std::string& unit, const std::string& mode,
            bool json, std::ostream& out) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  if (!config->ownsUnit(unit)) {
    return fail(common::invalidInput("unit '" + unit + "' is not one of this agent's units in " +
                                     configPath));
  }
  common::Mode parsed;
  if (!common::parseMode(mode, &parsed)) {
    return fail(common::invalidInput("--mode '" + mode +
                                     "' is not one of: actual, exercise, system, test"));
  }
  auto db = openAgentDatabase(config->outboxPath, OpenMode::mustExist);
  if (!db) return fail(db.error());
  auto last = readLastReport(**db, unit, mode);
  if (!last) return fail(last.error());
  out << (json ? lastReportJson(unit, mode, *last) : lastReportText(unit, mode, *last));
  return kExitOk;
}

int runStatus(const std::string& configPath, bool json, std::ostream& out) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  common::SystemClock clock;
  auto status = readAgentStatus(*config, clock.nowMs());
  if (!status) return fail(status.error());
  out << (json ? agentStatusJson(*status) : agentStatusText(*status));
  return kExitOk;
}

int runReceipt(const std::string& configPath, bool json, std::ostream& out) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  auto db = openAgentDatabase(config->outboxPath, OpenMode::mustExist);
  if (!db) return fail(db.error());
  auto kept = latestReceipt(**db);
  if (!kept) return fail(kept.error());
  if (!*kept) {
    std::cerr << "samband-agent: no receipt yet: the broker has not acknowledged a report with "
                 "one (it must be a broker that signs checkpoints)\n";
    return kExitFailure;
  }
  out << (json ? receiptJson(**kept) : receiptText(**kept));
  return kExitOk;
}

int runExport(const std::string& configPath, const std::string& outPath, std::ostream& out) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  common::SystemClock clock;
  auto summary = exportOutbox(*config, outPath, clock.nowMs());
  if (!summary) return fail(summary.error());
  if (summary->envelopes == 0) {
    out << "Wrote " << summary->path
        << " with no messages: the outbox holds nothing the broker has not acknowledged.\n";
    return kExitOk;
  }
  out << "Wrote " << summary->envelopes << " signed message(s), seq " << summary->firstSeq << " to "
      << summary->lastSeq << " (key " << summary->keyId << ", " << summary->bytes << " bytes), to "
      << summary->path << ".\n"
      << "Next: carry the file to the city; they run: samband-broker import --config "
         "broker.toml FILE\n"
      << "The messages stay in the outbox until the broker acknowledges them; when the link is "
         "back, the agent sends them again and the broker recognises them as duplicates.\n";
  return kExitOk;
}

int runRotateKey(const std::string& configPath, std::ostream& out) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  common::SystemClock clock;
  auto started = startKeyRotation(*config, clock.nowMs());
  if (!started) return fail(started.error());
  out << "Queued the key rotation as seq " << started->seq << ": new key " << started->newKeyId
      << " (in " << started->nextPath << "), announced under the current key " << started->oldKeyId
      << ".\n"
      << "The agent keeps signing with the current key until the broker acknowledges the "
         "rotation; then 'samband-agent run' switches to the new key by itself (samband-agent "
         "status shows key_rotation). Offline, carry it with samband-agent export.\n"
      << "Once status shows the rotation done: back up agent.identity again (it then holds the "
         "new key), and ask the city to revoke the old key: samband-broker revoke --key "
      << started->oldKeyId << "\n";
  return kExitOk;
}

// user and token: load the config, run, print what to tell the administrator.
template <typename Command>
int runAccountCommand(const std::string& configPath, std::ostream& out, Command command) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  common::SystemClock clock;
  auto text = command(*config, clock.nowMs());
  if (!text) return fail(text.error());
  out << *text;
  return kExitOk;
}

int runUserAdd(const std::string& configPath, const std::string& name,
               const std::vector<std::string>& units, std::ostream& out) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  // Checked before the password is asked for, so a typo does not cost the administrator a
  // password twice.
  if (!web::isUserName(name)) {
    return fail(common::invalidInput("\"" + name +
                                     "\" is not a valid user name; use 1-64 letters, digits and "
                                     ". _ @ - (starting with a letter or digit)"));
  }
  if (common::Status s = checkAccountUnits(units, *config); !s) return fail(s.error());
  auto password = web::readNewPassword(
      name, "printf '%s\\n' \"$PASSWORD\" | samband-agent user add --config A --name N --unit U");
  if (!password) return fail(password.error());
  common::SystemClock clock;
  auto text = addFormUser(*config, name, units, *password, clock.nowMs());
  sodium_memzero(password->data(), password->size());
  if (!text) return fail(text.error());
  out << *text;
  return kExitOk;
}

// inbox, confirm, ack: load the config, run, print what to tell the person.
template <typename Command>
int runInboxCommand(const std::string& configPath, std::ostream& out, Command command) {
  auto config = loadAgentConfig(configPath);
  if (!config) return fail(config.error());
  common::SystemClock clock;
  auto text = command(*config, clock.nowMs());
  if (!text) return fail(text.error());
  out << *text;
  return kExitOk;
}

}  // namespace

int runAgentCli(int argc, char** argv) {
  CLI::App app{
      "samband-agent: the provider side of Samband. Queues signed reports about your school "
      "units and delivers them to the city's broker.",
      "samband-agent"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("samband-agent ") + common::versionText());
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug details to stderr");

  // init
  InitRequest init;
  auto* initCmd = app.add_subcommand("init",
                                     "Create a new agent directory: identity, "
                                     "agent.toml, enrollment request, outbox");
  initCmd->add_option("--dir", init.dir, "Directory to create the agent in")->required();
  initCmd->add_option("--provider", init.provider, "Organisation number, NNNNNN-NNNN")->required();
  initCmd->add_option("--name", init.name, "The provider's name")->required();
  initCmd
      ->add_option("--broker", init.brokers,
                   "The broker's endpoint, tcp://HOST:PORT; repeat for a standby broker, in order "
                   "of preference (tcp://HOST:PORT=CURVEKEY pins that broker's own transport key)")
      ->required();
  initCmd
      ->add_option("--city-keys", init.cityKeysPath,
                   "The city's root.pub (certificates appended) or city.pub file")
      ->required();
  initCmd->add_option("--unit", init.units, "A school-unit code (8 digits); repeat for each unit")
      ->required();
  initCmd->add_option("--duty-contact", init.dutyContact,
                      "Who the city calls at the provider, e.g. \"IT on call, 08-123 456 78\" "
                      "(kept in agent.toml, never sent)");

  // run
  std::string configPath;
  auto* runCmd = app.add_subcommand("run",
                                    "Run the agent in the foreground (for systemd); "
                                    "stops on SIGTERM/SIGINT");
  runCmd->add_option("--config", configPath, "Path to agent.toml")->required();

  // report
  ReportRequest report;
  CountFlags counts;
  TextFlags text;
  std::string reportConfig;
  std::string reportJson;
  auto* reportCmd = app.add_subcommand(
      "report", "Sign a report into the outbox (works offline; 'run' delivers it)");
  reportCmd->add_option("--config", reportConfig, "Path to agent.toml")->required();
  reportCmd->add_option("--json", reportJson,
                        "Read the whole report as JSON from FILE, or from stdin with - (the "
                        "fields of 'samband-agent last --json')");
  reportCmd->add_option("--unit", report.unit, "School-unit code the report is about");
  reportCmd->add_option("--mode", report.mode, "actual (default), exercise, system or test");
  auto* oOperational = reportCmd->add_option("--operational", text.operational,
                                             "normal, reduced, remote, closed, relocated, unknown");
  auto* oReason = reportCmd->add_option("--reason", text.reason, "Why not normal (short text)");
  auto* oReopen = reportCmd->add_option("--expected-reopen", text.expectedReopen,
                                        "YYYY-MM-DD or RFC 3339 time");
  reportCmd->add_option("--pupils-enrolled", counts.pupilsEnrolled, "Pupils enrolled (or unknown)");
  reportCmd->add_option("--pupils-present", counts.pupilsPresent, "Pupils present (or unknown)");
  reportCmd->add_option("--staff-total", counts.staffTotal, "Staff in total (or unknown)");
  reportCmd->add_option("--staff-available", counts.staffAvailable, "Staff available (or unknown)");
  auto* oCritical = reportCmd->add_option("--critical-care", text.criticalCare,
                                          "Care for children of critical workers: yes|no|unknown");
  auto* oSpecial = reportCmd->add_option("--special-support", text.specialSupport,
                                         "Care for pupils needing special support: yes|no|unknown");
  auto* oElectricity =
      reportCmd->add_option("--electricity", text.electricity, "grid, backup, none, unknown");
  reportCmd->add_option("--backup-hours", counts.backupHours,
                        "Hours of backup power left (or unknown)");
  auto* oHeating = reportCmd->add_option("--heating", text.heating, "ok|degraded|down|unknown");
  auto* oWater = reportCmd->add_option("--water", text.water, "ok|degraded|down|unknown");
  auto* oFood = reportCmd->add_option("--food", text.food, "ok|degraded|down|unknown");
  auto* oIt = reportCmd->add_option("--it", text.it, "ok|degraded|down|unknown");
  auto* oTelephony =
      reportCmd->add_option("--telephony", text.telephony, "ok|degraded|down|unknown");
  reportCmd->add_option("--food-days", counts.foodDays, "Days of food in stock (or unknown)");
  auto* oNote = reportCmd->add_option("--note", text.note, "Short free text (no names)");
  auto* oValid = reportCmd->add_option("--valid-until", text.validUntil,
                                       "YYYY-MM-DD or RFC 3339 time; default: until the next "
                                       "report");
  auto* oClosedUntil = reportCmd->add_option(
      "--closed-until", text.closedUntil,
      "YYYY-MM-DD: the last day a closed unit stays closed (with --operational closed)");
  reportCmd->add_flag("--clear-reason", report.clearReason, "Empty the reason carried forward");
  reportCmd->add_flag("--clear-note", report.clearNote, "Empty the note carried forward");
  reportCmd->add_flag("--clear-expected-reopen", report.clearExpectedReopen,
                      "Drop the expected reopening carried forward");
  reportCmd->add_flag("--clear-valid-until", report.clearValidUntil,
                      "Drop the valid-until time carried forward");
  reportCmd->add_flag("--clear-closed-until", report.clearClosedUntil,
                      "Drop the closed-until date carried forward");
  reportCmd->add_option("--capacity", report.capacity,
                        "FORM:YEAR:ENROLLED:NOW:72H, e.g. grundskola:4:52:3:6 (repeatable; "
                        "replaces that form and year, keeps the others)");
  auto* oContinuity = reportCmd->add_option("--continuity", text.continuity,
                                            "Provider continuity: ok, at_risk, cannot_continue");
  auto* oContinuityFrom = reportCmd->add_option("--continuity-from", text.continuityFrom,
                                                "YYYY-MM-DD or RFC 3339 time it applies from");
  auto* oContinuityNote =
      reportCmd->add_option("--continuity-note", text.continuityNote, "Short text");

  // last
  std::string lastConfig, lastUnit, lastMode = "actual";
  bool lastJson = false;
  auto* lastCmd = app.add_subcommand(
      "last",
      "Print a unit's last report as signed: every field, and when (what 'report' "
      "carries forward)");
  lastCmd->add_option("--config", lastConfig, "Path to agent.toml")->required();
  lastCmd->add_option("--unit", lastUnit, "School-unit code")->required();
  lastCmd->add_option("--mode", lastMode, "actual (default), exercise, system or test");
  lastCmd->add_flag("--json", lastJson, "Print JSON (keys as in samband-broker status --json)");

  // status
  std::string statusConfig;
  bool json = false;
  auto* statusCmd = app.add_subcommand("status", "Show the link, the outbox and the last error");
  statusCmd->add_option("--config", statusConfig, "Path to agent.toml")->required();
  statusCmd->add_flag("--json", json, "Print JSON");

  // receipt
  std::string receiptConfig;
  bool receiptJsonFlag = false;
  auto* receiptCmd = app.add_subcommand(
      "receipt", "Print the city's newest signed receipt for this agent's reports");
  receiptCmd->add_option("--config", receiptConfig, "Path to agent.toml")->required();
  receiptCmd->add_flag("--json", receiptJsonFlag,
                       "Print JSON (for samband-broker audit --receipt)");

  // inbox, confirm, ack
  std::string inboxConfig;
  bool inboxJson = false;
  auto* inboxCmd = app.add_subcommand(
      "inbox", "List the city's readiness checks and directives and what became of them");
  inboxCmd->add_option("--config", inboxConfig, "Path to agent.toml")->required();
  inboxCmd->add_flag("--json", inboxJson, "Print JSON");
  std::string confirmConfig, confirmId;
  auto* confirmCmd = app.add_subcommand(
      "confirm", "Confirm a readiness check as a person (when the city asks for it)");
  confirmCmd->add_option("CHECK_ID", confirmId, "The check's id (samband-agent inbox lists them)")
      ->required();
  confirmCmd->add_option("--config", confirmConfig, "Path to agent.toml")->required();
  std::string ackConfig, ackId;
  auto* ackCmd =
      app.add_subcommand("ack", "Acknowledge a directive as a person: you read it and act on it");
  ackCmd->add_option("ID", ackId, "The directive's id (samband-agent inbox lists them)")
      ->required();
  ackCmd->add_option("--config", ackConfig, "Path to agent.toml")->required();

  // export, rotate-key
  std::string exportConfig, exportOut;
  auto* exportCmd = app.add_subcommand(
      "export",
      "Write every pending signed message to a file for the city to import (no network needed)");
  exportCmd->add_option("--config", exportConfig, "Path to agent.toml")->required();
  exportCmd->add_option("--out", exportOut, "The file to write (e.g. on a USB stick)")->required();
  std::string rotateConfig;
  auto* rotateCmd = app.add_subcommand(
      "rotate-key",
      "Create a new key and announce it to the broker under the current one; the agent "
      "switches once the broker acknowledges it");
  rotateCmd->add_option("--config", rotateConfig, "Path to agent.toml")->required();

  // user add|list|remove
  auto* userCmd = app.add_subcommand(
      "user", "Accounts of staff on duty for the reporting page ([form] listen)");
  userCmd->require_subcommand(1);
  std::string userConfig, userName;
  std::vector<std::string> userUnits;
  bool userJson = false;
  auto* userAddCmd = userCmd->add_subcommand(
      "add",
      "Add an account that may report for the units named (password from standard input, or "
      "asked twice)");
  userAddCmd->add_option("--config", userConfig, "Path to agent.toml")->required();
  userAddCmd->add_option("--name", userName, "The user's login name")->required();
  userAddCmd->add_option("--unit", userUnits, "A unit they may report for; repeat for each")
      ->required();
  auto* userListCmd = userCmd->add_subcommand("list", "List the accounts");
  userListCmd->add_option("--config", userConfig, "Path to agent.toml")->required();
  userListCmd->add_flag("--json", userJson, "Print JSON");
  auto* userRemoveCmd = userCmd->add_subcommand("remove", "Remove an account and end its sessions");
  userRemoveCmd->add_option("--config", userConfig, "Path to agent.toml")->required();
  userRemoveCmd->add_option("--name", userName, "The user's login name")->required();

  // token add|list|remove
  auto* tokenCmd = app.add_subcommand(
      "token", "Tokens for the provider's systems to POST /api/report ([form] listen)");
  tokenCmd->require_subcommand(1);
  std::string tokenConfig, tokenName;
  std::vector<std::string> tokenUnits;
  bool tokenJson = false;
  auto* tokenAddCmd = tokenCmd->add_subcommand(
      "add", "Make a token that may report for the units named; it is printed once");
  tokenAddCmd->add_option("--config", tokenConfig, "Path to agent.toml")->required();
  tokenAddCmd->add_option("--name", tokenName, "A name for the system using it, e.g. skolsystem")
      ->required();
  tokenAddCmd->add_option("--unit", tokenUnits, "A unit it may report for; repeat for each")
      ->required();
  auto* tokenListCmd = tokenCmd->add_subcommand("list", "List the tokens (never the tokens)");
  tokenListCmd->add_option("--config", tokenConfig, "Path to agent.toml")->required();
  tokenListCmd->add_flag("--json", tokenJson, "Print JSON");
  auto* tokenRemoveCmd = tokenCmd->add_subcommand("remove", "Remove a token; it stops working");
  tokenRemoveCmd->add_option("--config", tokenConfig, "Path to agent.toml")->required();
  tokenRemoveCmd->add_option("--name", tokenName, "The token's name")->required();
  // setup, doctor (agent/setup.h, agent/doctor.h)
  SetupRequest setup;
  auto* setupCmd = addSetupCommand(app, setup);
  DoctorOptions doctor;
  auto* doctorCmd = addDoctorCommand(app, doctor);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string which =
        app.get_subcommands().empty() ? "" : " " + app.get_subcommands().front()->get_name();
    std::fprintf(stderr, "samband-agent: %s (see samband-agent%s --help)\n", e.what(),
                 which.c_str());
    return kExitBadInput;
  }
  common::setLogLevel(verbose ? common::LogLevel::debug : common::LogLevel::info);

  try {
    if (initCmd->parsed()) return runInit(init);
    if (setupCmd->parsed()) return runSetupCommand(setup, std::cin, std::cout, std::cerr);
    if (doctorCmd->parsed()) return runDoctorCommand(doctor, std::cout);
    if (runCmd->parsed()) return runRun(configPath);
    if (reportCmd->parsed()) {
      report.operational = given(oOperational, text.operational);
      report.reason = given(oReason, text.reason);
      report.expectedReopen = given(oReopen, text.expectedReopen);
      report.criticalCare = given(oCritical, text.criticalCare);
      report.specialSupport = given(oSpecial, text.specialSupport);
      report.electricity = given(oElectricity, text.electricity);
      report.heating = given(oHeating, text.heating);
      report.water = given(oWater, text.water);
      report.food = given(oFood, text.food);
      report.it = given(oIt, text.it);
      report.telephony = given(oTelephony, text.telephony);
      report.note = given(oNote, text.note);
      report.validUntil = given(oValid, text.validUntil);
      report.closedUntil = given(oClosedUntil, text.closedUntil);
      report.continuity = given(oContinuity, text.continuity);
      report.continuityFrom = given(oContinuityFrom, text.continuityFrom);
      report.continuityNote = given(oContinuityNote, text.continuityNote);
      if (!reportJson.empty()) {
        for (const CLI::Option* opt : reportCmd->get_options()) {
          const std::string name = opt->get_name();
          if (opt->count() > 0 && name != "--config" && name != "--json" && name != "--help") {
            std::fprintf(stderr,
                         "samband-agent: %s cannot be combined with --json: put every field of "
                         "the report in the JSON (docs/agent.md, 'Reports as JSON')\n",
                         name.c_str());
            return kExitBadInput;
          }
        }
      }
      return runReport(reportConfig, std::move(report), counts, reportJson, std::cout);
    }
    if (lastCmd->parsed()) return runLast(lastConfig, lastUnit, lastMode, lastJson, std::cout);
    if (statusCmd->parsed()) return runStatus(statusConfig, json, std::cout);
    if (receiptCmd->parsed()) return runReceipt(receiptConfig, receiptJsonFlag, std::cout);
    if (exportCmd->parsed()) return runExport(exportConfig, exportOut, std::cout);
    if (rotateCmd->parsed()) return runRotateKey(rotateConfig, std::cout);
    if (userAddCmd->parsed()) return runUserAdd(userConfig, userName, userUnits, std::cout);
    if (userListCmd->parsed()) {
      return runAccountCommand(userConfig, std::cout, [&](const AgentConfig& c, int64_t now) {
        return listFormUsers(c, userJson, now);
      });
    }
    if (userRemoveCmd->parsed()) {
      return runAccountCommand(userConfig, std::cout, [&](const AgentConfig& c, int64_t) {
        return removeFormUser(c, userName);
      });
    }
    if (tokenAddCmd->parsed()) {
      int rc = runAccountCommand(tokenConfig, std::cout, [&](const AgentConfig& c, int64_t now) {
        return addApiToken(c, tokenName, tokenUnits, now);
      });
      if (rc == kExitOk) {
        std::cerr << "This is the only time the token is shown (the agent keeps only its hash): "
                     "give it to the system that posts reports, as the header "
                     "'Authorization: Bearer TOKEN' of POST /api/report.\n";
      }
      return rc;
    }
    if (tokenListCmd->parsed()) {
      return runAccountCommand(tokenConfig, std::cout, [&](const AgentConfig& c, int64_t) {
        return listApiTokens(c, tokenJson);
      });
    }
    if (tokenRemoveCmd->parsed()) {
      return runAccountCommand(tokenConfig, std::cout, [&](const AgentConfig& c, int64_t) {
        return removeApiToken(c, tokenName);
      });
    }
    if (inboxCmd->parsed()) {
      return runInboxCommand(inboxConfig, std::cout, [&](const AgentConfig& c, int64_t now) {
        return inboxListing(c, inboxJson, now);
      });
    }
    if (confirmCmd->parsed()) {
      return runInboxCommand(confirmConfig, std::cout, [&](const AgentConfig& c, int64_t now) {
        return confirmCheck(c, confirmId, now);
      });
    }
    if (ackCmd->parsed()) {
      return runInboxCommand(ackConfig, std::cout, [&](const AgentConfig& c, int64_t now) {
        return acknowledgeDirective(c, ackId, now);
      });
    }
  } catch (const std::exception& e) {
    // Library exceptions are turned into results at their adapters; this is the last net.
    return fail(common::internalError(std::string("unexpected failure: ") + e.what() +
                                      "; please report this"));
  }
  return kExitBadInput;
}

}  // namespace samband::agent
