// The broker's CLI verbs. Each returns the process exit status and prints one clear sentence
// on failure (to stderr) saying what to do next. main.cpp only parses flags and calls these.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace samband::broker {

// Exit statuses shared by all verbs.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;           // the command ran and found a problem
inline constexpr int kExitUsage = 2;             // bad flags, config or input
inline constexpr int kExitReadinessProblem = 3;  // a provider is missing, late or failing

struct InitOptions {
  std::string dir;
  std::string config;  // where broker.toml goes; empty: DIR/broker.toml
  std::string listen = "tcp://127.0.0.1:7700";
  std::string boardListen = "127.0.0.1:8080";
  std::string tier;  // empty or "city": a city broker, exactly as before; county | national
};
int runInit(const InitOptions& o);

// Pictures that roll up (rollup_commands.cpp, docs/rollup.md). On a city broker: writes the
// request its upstream enrols it from (the city's name and root key, this broker's transport
// key, signed by its certified city key). On an upstream: checks such a request and enrols the
// city, printing (and with `out` writing) the city's [upstream] section.
int runUpstreamRequest(const std::string& configPath, const std::string& city,
                       const std::string& out);
int runEnrollCity(const std::string& configPath, const std::string& request,
                  const std::string& out);
// An upstream broker's init (--tier county|national), its serve loop and its status.
int runInitUpstream(const InitOptions& o);
// What `init` writes for a broker of either tier, in --dir (or --config's place): a new
// identity `identityName` (secret, 0600) and its public part `publicName` beside it, the config
// that `configText(identity, database, packaged)` returns, and an empty database, all owned by
// the state directory's owner. Refuses to overwrite an existing config or identity. On
// success fills `created` (the paths written) and returns kExitOk; otherwise prints what to do
// and returns the exit code.
struct InitFiles {
  std::string config, dir, identity, publicFile, database;
};
int writeInitFiles(
    const InitOptions& o, const std::string& identityName, const std::string& publicName,
    const std::function<std::string(const std::string& identity, const std::string& database,
                                    bool packaged)>& configText,
    InitFiles* created);
int runServeUpstream(const std::string& configPath);
int runStatusUpstream(const std::string& configPath, bool json);
int runServe(const std::string& configPath);
int runEnroll(const std::string& configPath, const std::vector<std::string>& requests,
              bool allowTransfer);
// The picture now, or with `asOf` (a moment as parseMoment() reads it) the picture as it was
// then, rebuilt from the archive (docs/inquiry.md).
int runStatus(const std::string& configPath, bool json, const std::string& asOf = "");
// `cityKeysPath` (city.pub) may be empty: the key recorded in the database is used, and said.
// Exit 0 only when every check holds. `since` (--since FRAME_ID) skips the signatures of earlier
// frames, verified by an earlier run; `threads` (--threads) verifies on that many threads (0: one
// per core). Progress goes to stderr about every 2 s (never to stdout, which holds the report).
// `allCheckpointSignatures` (--all-checkpoint-signatures): AuditOptions says what it adds.
int runAudit(const std::string& configPath, bool json, const std::string& cityKeysPath = "",
             const std::vector<std::string>& receiptFiles = {}, int64_t since = 0, int threads = 0,
             bool quiet = false, bool allCheckpointSignatures = false);
// Signs an enrolment record (and a revocation record where revoked) for every key in the keys
// table that no city record proves: keys enrolled before records existed. Exit 0 on success.
int runCertifyKeys(const std::string& configPath);
int runRevoke(const std::string& configPath, const std::string& keyId);
// Every enrolled key (or one provider's): id, provider, enrolled/revoked, last heartbeat, and
// how much of the archive it signed. How an operator finds the key id to revoke.
int runKeys(const std::string& configPath, const std::optional<std::string>& provider, bool json);

// Roster file and takeover planning (plan_commands.cpp).
struct PlanCommandOptions {
  std::vector<std::string> failing;  // organisation numbers or unit codes
  double maxKm = 30.0;
  std::string horizon = "now";  // now | 72h
  std::string format = "text";  // text | json | csv
  bool includeWhatIf = false;   // also the units marked failing on the board
  double fill = 0.95;           // at most this share of a receiving class's free seats
  bool includeReduced = false;  // units on reduced operation receive too
  bool includeClosed = false;   // closed units not closed beyond the horizon fail too
};
int runRosterImport(const std::string& configPath, const std::string& file, bool allowTransfer);
int runRosterExport(const std::string& configPath, const std::string& file);
int runPlanTakeover(const std::string& configPath, const PlanCommandOptions& options);
int runPlanContingency(const std::string& configPath, const PlanCommandOptions& options);

// What the city knows itself (capacity_commands.cpp). `capacity import` loads a CSV of figures
// from the city's registers (docs/planning.md), all rows or none, every problem with its line;
// `capacity export` writes the newest figure of every unit, form and year in the same format
// (to standard output when `file` is empty or "-"). `contact set` keeps a provider's duty
// contact (empty text clears it); `contact list` shows them.
int runCapacityImport(const std::string& configPath, const std::string& file);
int runCapacityExport(const std::string& configPath, const std::string& file);
int runContactSet(const std::string& configPath, const std::string& provider,
                  const std::string& text);
int runContactList(const std::string& configPath, bool json);

// The school calendar (calendar_commands.cpp). Import stores the holiday ranges of an
// iCalendar file in the database (kept beside [calendar] holidays; a range already stored is
// kept once) and says how many and which dates they cover. Show lists each day from `from` to
// `to` (YYYY-MM-DD, both included) as a school day or why not.
int runCalendarImport(const std::string& configPath, const std::string& file);
int runCalendarShow(const std::string& configPath, const std::string& from, const std::string& to,
                    bool json);

// Readiness checks and directives (city_commands.cpp).
struct ReadinessRunOptions {
  std::string deadline = "60m";
  bool wait = false;
  bool requireConfirmation = false;
  std::string mode = "actual";
  std::string format = "text";  // for --wait
};
int runReadinessRun(const std::string& configPath, const ReadinessRunOptions& options);
int runReadinessReport(const std::string& configPath, const std::optional<std::string>& checkId,
                       const std::optional<std::string>& date, const std::string& format);
struct DirectiveSendOptions {
  std::string to = "all";  // all | ORGNR[,ORGNR...]
  std::string text;
  std::string level = "unchanged";
  bool requireAck = false;
  std::string expires = "24h";
  std::string mode = "actual";
};
int runDirectiveSend(const std::string& configPath, const DirectiveSendOptions& options);
int runDirectiveStatus(const std::string& configPath, const std::optional<std::string>& id,
                       bool json);

// An inquiry (inquiry_commands.cpp, docs/inquiry.md). Export writes the folder for the period
// from..to (moments as `status --as-of` reads them); exit 0 when written, 2 for a bad period or
// folder. Verify checks a folder from its own files; exit 0 only when everything checks out.
int runInquiryExport(const std::string& configPath, const std::string& from, const std::string& to,
                     const std::string& out);
// `cityKeysPath`: the city's root.pub (or city.pub) to prove the keys from; empty: the export's.
int runInquiryVerify(const std::string& dir, bool json, const std::string& cityKeysPath = "");

// Offline transfer (import_command.cpp).
// The CLI verb: prints the summary (text or JSON). Exit 0 when every envelope was accepted or a
// duplicate, 1 when any was refused or the database failed, 2 when the file or config is bad.
int runImport(const std::string& configPath, const std::string& file, bool json);

}  // namespace samband::broker
