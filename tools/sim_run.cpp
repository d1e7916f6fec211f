// See sim_run.h. One thread: the report generator, the storm timeline and the fleet's poll loop
// take turns; nothing blocks except the poll, whose timeout is the earliest thing due.
#include "tools/sim_run.h"

#include <sys/resource.h>

#include <zmq.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <vector>

#include "agent/agent_config.h"
#include "common/clock.h"
#include "common/vocabulary.h"
#include "tools/city_model.h"
#include "tools/fleet.h"
#include "tools/report_model.h"
#include "tools/sim_directory.h"
#include "tools/sim_random.h"
#include "tools/storm.h"

namespace samband::tools {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitNotDrained = 1;
constexpr int kExitSetup = 2;

// The storm's timeline, after the power cut.
constexpr int64_t kAtRiskAfterMs = 30 * 1000;
constexpr int64_t kCannotContinueAfterMs = 90 * 1000;
// How often generators are checked for running dry.
constexpr int64_t kBackupCheckMs = 1000;
// Share of flow reports about storm-hit units while the storm lasts (they report more often).
constexpr double kStormReportShare = 0.3;
constexpr double kCapacityShare = 0.2;
// Reports due longer ago than this are skipped rather than sent in one burst.
constexpr int64_t kMaxCatchUpMs = 5000;
// Longest poll: bounds how late a stop signal is noticed if it lands just before the poll.
constexpr int64_t kMaxPollMs = 200;

std::string clockText(int64_t ms) {
  const int64_t s = ms / 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

class CityRun {
 public:
  CityRun(const City& city, Fleet& fleet, const RunOptions& options, const common::Clock& clock,
          std::ostream& out)
      : city_(city),
        fleet_(fleet),
        options_(options),
        clock_(clock),
        out_(out),
        model_(city, city.options.seed + 7),
        rng_(city.options.seed * 31 + static_cast<uint64_t>(clock.nowMs())) {
    if (options.scenario == Scenario::storm) storm_ = planStorm(city, city.options.seed);
  }

  int run(const volatile std::sig_atomic_t& stop);

 private:
  void queueInitialReports(int64_t wallMs);
  void emitDueReports(int64_t nowMs);
  void followLevel(int64_t elapsedMs);
  void runStorm(int64_t elapsedMs, int64_t nowMs);
  void add(size_t unit, common::Mode mode, common::Payload payload, int64_t wallMs);
  void addProvider(size_t provider, common::Payload payload, int64_t wallMs);
  void flush(int64_t nowMs);
  void printProgress(int64_t elapsedMs, const char* prefix);
  int64_t nextDueMs(int64_t nowMs) const;
  size_t pickUnit();

  const City& city_;
  Fleet& fleet_;
  const RunOptions& options_;
  const common::Clock& clock_;
  std::ostream& out_;
  ReportModel model_;
  SimRandom rng_;
  std::optional<StormPlan> storm_;

  std::map<size_t, std::vector<agent::OutboxDraft>> batches_;  // per provider, until flush
  int64_t startMs_ = 0;
  int64_t nextReportMs_ = 0;
  int64_t nextPrintMs_ = 0;
  int64_t nextBackupCheckMs_ = 0;
  int stormStage_ = 0;  // 0 before, 1 power cut, 2 provider at risk, 3 provider gave up
  common::ReadinessLevel level_ = common::ReadinessLevel::NORMAL;  // highest any agent applies
  double levelFactor_ = 1.0;
  uint64_t queueErrors_ = 0;
};

void CityRun::add(size_t unit, common::Mode mode, common::Payload payload, int64_t wallMs) {
  agent::OutboxDraft d;
  d.mode = mode;
  d.sentAt = wallMs;
  d.payload = std::move(payload);
  batches_[city_.units[unit].provider].push_back(std::move(d));
}

void CityRun::addProvider(size_t provider, common::Payload payload, int64_t wallMs) {
  agent::OutboxDraft d;
  d.sentAt = wallMs;
  d.payload = std::move(payload);
  batches_[provider].push_back(std::move(d));
}

void CityRun::flush(int64_t nowMs) {
  // One outbox transaction per provider for everything that came due together.
  for (auto& [provider, drafts] : batches_) {
    if (drafts.empty()) continue;
    if (auto s = fleet_.queue(provider, drafts, nowMs); !s) {
      if (queueErrors_++ < 5) {
        std::cerr << "samband-sim: " << city_.providers[provider].id
                  << ": cannot queue reports: " << s.error().message << "\n";
      }
    }
    drafts.clear();
  }
}

void CityRun::queueInitialReports(int64_t wallMs) {
  for (size_t u = 0; u < city_.units.size(); ++u) {
    add(u, common::Mode::ACTUAL, model_.status(u, wallMs), wallMs);
    add(u, common::Mode::ACTUAL, model_.capacity(u), wallMs);
  }
}

size_t CityRun::pickUnit() {
  if (storm_ && stormStage_ > 0 && !storm_->units.empty() && rng_.chance(kStormReportShare)) {
    return rng_.pick(storm_->units);
  }
  return static_cast<size_t>(
      rng_.between(int64_t{0}, static_cast<int64_t>(city_.units.size()) - 1));
}

void CityRun::emitDueReports(int64_t nowMs) {
  if (options_.rate <= 0) return;
  const int64_t wall = clock_.nowMs();
  // Catch up after a slow round, but not after the machine slept: no burst of a night's reports.
  nextReportMs_ = std::max(nextReportMs_, nowMs - kMaxCatchUpMs);
  while (nextReportMs_ <= nowMs) {
    const size_t u = pickUnit();
    model_.advance(u, wall);
    if (rng_.chance(options_.exerciseShare)) {
      add(u, common::Mode::EXERCISE, model_.exerciseStatus(u, wall), wall);
    } else {
      model_.drift(u, wall);
      if (rng_.chance(kCapacityShare)) {
        add(u, common::Mode::ACTUAL, model_.capacity(u), wall);
      } else {
        add(u, common::Mode::ACTUAL, model_.status(u, wall), wall);
      }
    }
    // Poisson arrivals: exponential gaps with mean 1/rate.
    const double gapS = -std::log(1.0 - rng_.unit()) / (options_.rate * levelFactor_);
    nextReportMs_ += std::max<int64_t>(1, std::llround(gapS * 1000.0));
  }
}

// Agents report more often at higher readiness levels (DESIGN.md), which the city sets with a
// directive: the flow doubles at heightened and doubles again at highest.
void CityRun::followLevel(int64_t elapsedMs) {
  common::ReadinessLevel level = common::ReadinessLevel::NORMAL;
  for (size_t i = 0; i < fleet_.size(); ++i) level = std::max(level, fleet_.session(i).level());
  if (level == level_) return;
  level_ = level;
  levelFactor_ = level == common::ReadinessLevel::HIGHEST      ? 4.0
                 : level == common::ReadinessLevel::HEIGHTENED ? 2.0
                                                               : 1.0;
  out_ << "[" << clockText(elapsedMs) << "] readiness level " << common::levelName(level)
       << " (city directive): reports now come at " << options_.rate * levelFactor_ << "/s\n"
       << std::flush;
}

void CityRun::runStorm(int64_t elapsedMs, int64_t nowMs) {
  if (!storm_) return;
  const int64_t wall = clock_.nowMs();
  const int64_t cutAt = options_.stormAfterS * 1000;
  if (stormStage_ == 0 && elapsedMs >= cutAt) {
    stormStage_ = 1;
    int backup = 0;
    for (size_t u : storm_->units) {
      model_.cutPower(u, wall);
      const common::UnitStatusMsg s = model_.status(u, wall);
      backup += s.electricity == common::Electricity::BACKUP ? 1 : 0;
      add(u, common::Mode::ACTUAL, s, wall);
      add(u, common::Mode::ACTUAL, model_.capacity(u), wall);
    }
    out_ << "[" << clockText(elapsedMs) << "] STORM: the power grid is down in "
         << storm_->districtNames() << ": " << storm_->units.size() << " units hit, " << backup
         << " on backup power, " << storm_->units.size() - static_cast<size_t>(backup)
         << " without power (closed or teaching remotely)\n"
         << std::flush;
    nextBackupCheckMs_ = nowMs + kBackupCheckMs;
  }
  if (stormStage_ >= 1 && nowMs >= nextBackupCheckMs_) {
    nextBackupCheckMs_ = nowMs + kBackupCheckMs;
    int dry = 0;
    for (size_t u : storm_->units) {
      const auto before = model_.status(u, wall).electricity;
      model_.advance(u, wall);
      const common::UnitStatusMsg s = model_.status(u, wall);
      if (s.electricity != before) {
        ++dry;
        add(u, common::Mode::ACTUAL, s, wall);
        add(u, common::Mode::ACTUAL, model_.capacity(u), wall);
      }
    }
    if (dry > 0) {
      out_ << "[" << clockText(elapsedMs) << "] STORM: " << dry
           << " unit(s) ran out of backup fuel and closed\n"
           << std::flush;
    }
  }
  if (!storm_->failingProvider) return;
  const SimProvider& p = city_.providers[*storm_->failingProvider];
  if (stormStage_ == 1 && elapsedMs >= cutAt + kAtRiskAfterMs) {
    stormStage_ = 2;
    common::ContinuityMsg c;
    c.state = common::ContinuityState::AT_RISK;
    c.note =
        "Långvarigt strömavbrott och skadade lokaler; verksamheten kan inte säkras om "
        "läget består.";
    addProvider(*storm_->failingProvider, c, wall);
    out_ << "[" << clockText(elapsedMs) << "] STORM: " << p.id << " (" << p.name
         << ") reports continuity at_risk\n"
         << std::flush;
  }
  if (stormStage_ == 2 && elapsedMs >= cutAt + kCannotContinueAfterMs) {
    stormStage_ = 3;
    common::ContinuityMsg c;
    c.state = common::ContinuityState::CANNOT_CONTINUE;
    c.fromDate = wall;
    c.note =
        "Huvudmannen kan inte fortsätta verksamheten: lokalerna är obrukbara efter "
        "stormen. Kommunen ombeds ta över ansvaret för barnen och eleverna.";
    addProvider(*storm_->failingProvider, c, wall);
    for (size_t u : p.units) {
      model_.closeForGood(u, wall);
      add(u, common::Mode::ACTUAL, model_.status(u, wall), wall);
      add(u, common::Mode::ACTUAL, model_.capacity(u), wall);
    }
    out_ << "[" << clockText(elapsedMs) << "] STORM: " << p.id << " (" << p.name
         << ") reports continuity cannot_continue; its " << p.units.size() << " unit(s) close\n"
         << std::flush;
  }
}

void CityRun::printProgress(int64_t elapsedMs, const char* prefix) {
  const FleetTotals t = fleet_.totals();
  out_ << "[" << clockText(elapsedMs) << "] " << prefix << "agents connected " << t.connected << "/"
       << t.agents << ", reports queued " << t.queued << ", acked " << t.acked << ", pending "
       << t.pending;
  if (t.rejects > 0) out_ << ", refused by the broker " << t.rejects;
  if (t.deadLetters > 0) out_ << ", dead letters " << t.deadLetters;
  if (storm_ && stormStage_ > 0) out_ << " | storm in " << storm_->districtNames();
  out_ << "\n" << std::flush;
}

int64_t CityRun::nextDueMs(int64_t nowMs) const {
  int64_t due = std::min(nowMs + kMaxPollMs, nextPrintMs_);
  if (options_.rate > 0) due = std::min(due, nextReportMs_);
  if (storm_ && stormStage_ >= 1) due = std::min(due, nextBackupCheckMs_);
  return due;
}

int CityRun::run(const volatile std::sig_atomic_t& stop) {
  startMs_ = common::monotonicMs();
  nextReportMs_ = startMs_;
  nextPrintMs_ = startMs_ + options_.statusEveryS * 1000;
  out_ << "samband-sim: " << fleet_.size() << " agents, " << city_.units.size() << " units, "
       << options_.rate << " reports/s";
  if (storm_) {
    out_ << "; storm over " << storm_->districtNames() << " after " << options_.stormAfterS << " s";
  }
  out_ << "\n" << std::flush;
  queueInitialReports(clock_.nowMs());
  flush(startMs_);

  const int64_t endMs = options_.durationS > 0 ? startMs_ + options_.durationS * 1000 : INT64_MAX;
  while (stop == 0) {
    const int64_t now = common::monotonicMs();
    if (now >= endMs) break;
    followLevel(now - startMs_);
    emitDueReports(now);
    runStorm(now - startMs_, now);
    flush(now);
    if (now >= nextPrintMs_) {
      printProgress(now - startMs_, "");
      nextPrintMs_ += options_.statusEveryS * 1000;
    }
    fleet_.pollOnce(std::min(nextDueMs(now), endMs));
  }

  if (stop != 0) {
    const FleetTotals t = fleet_.totals();
    out_ << "[" << clockText(common::monotonicMs() - startMs_) << "] stopping on a signal; "
         << t.pending << " report(s) not yet acknowledged stay in the outboxes for the next run\n"
         << std::flush;
    fleet_.shutdown();
    return kExitOk;
  }

  // --duration is over: no new reports; let the outboxes drain.
  const int64_t drainEnd = common::monotonicMs() + options_.drainTimeoutS * 1000;
  int64_t nextCheck = 0;
  FleetTotals t = fleet_.totals();
  out_ << "[" << clockText(common::monotonicMs() - startMs_) << "] duration reached; waiting up to "
       << options_.drainTimeoutS << " s for " << t.pending << " pending report(s)\n"
       << std::flush;
  while (stop == 0 && t.pending > 0) {
    const int64_t now = common::monotonicMs();
    if (now >= drainEnd) break;
    if (now >= nextCheck) {
      t = fleet_.totals();
      nextCheck = now + 250;
      if (t.pending == 0) break;
    }
    fleet_.pollOnce(std::min(nextCheck, drainEnd));
  }
  t = fleet_.totals();
  printProgress(common::monotonicMs() - startMs_, "done: ");
  fleet_.shutdown();
  if (t.pending > 0) {
    std::cerr << "samband-sim: " << t.pending << " report(s) still unacknowledged after "
              << options_.drainTimeoutS
              << " s; is the broker running at the configured endpoint?\n";
    return kExitNotDrained;
  }
  return kExitOk;
}

}  // namespace

int runSimulation(const RunOptions& options, const volatile std::sig_atomic_t& stop,
                  std::ostream& out) {
  auto fail = [](const std::string& m) {
    std::cerr << "samband-sim: " << m << "\n";
    return kExitSetup;
  };
  if (!(options.rate >= 0)) return fail("--rate must be 0 or more reports per second");
  if (!(options.exerciseShare >= 0 && options.exerciseShare <= 1)) {
    return fail("--exercise-share must be between 0 and 1");
  }
  if (options.statusEveryS < 1) return fail("the status interval must be at least 1 s");
  auto sim = loadSimDirectory(options.dir);
  if (!sim) return fail(sim.error().message);
  auto city = generateCity(sim->options);
  if (!city) return fail(options.dir + "/sim.toml: " + city.error().message);

  // The agent directories must be the ones init made for this very city.
  std::vector<agent::AgentConfig> configs;
  for (const auto& p : city->providers) {
    const std::string path = agentDirOf(options.dir, p.id) + "/agent.toml";
    auto config = agent::loadAgentConfig(path);
    if (!config) return fail(config.error().message);
    std::vector<std::string> units;
    for (size_t u : p.units) units.push_back(city->units[u].code);
    if (config->units != units) {
      return fail(path + " lists other units than the city in " + options.dir +
                  "/sim.toml generates; recreate the directory with samband-sim init");
    }
    configs.push_back(std::move(config).value());
  }

  // Each agent holds a few descriptors (outbox, WAL, lock, sockets): use what the system allows.
  struct rlimit files {};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  common::SystemClock clock;
  zmq::context_t context(2);
  // A link has its socket and a monitor pair: room for that per agent (libzmq's default: 1023).
  context.set(zmq::ctxopt::max_sockets,
              static_cast<int>(std::max<size_t>(1023, configs.size() * 4 + 64)));
  auto fleet = Fleet::open(context, configs, clock, city->options.seed);
  if (!fleet) return fail(fleet.error().message);
  CityRun run(*city, **fleet, options, clock, out);
  int status = run.run(stop);
  fleet->reset();  // sessions close before the context
  return status;
}

}  // namespace samband::tools
