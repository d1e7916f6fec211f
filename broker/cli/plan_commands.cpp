// CLI verbs for the roster file and takeover planning (see commands.h).
#include <iostream>
#include <thread>
#include <variant>

#include "broker/city/city_chain.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/city_writer.h"
#include "broker/cli/commands.h"
#include "broker/picture/planning_source.h"
#include "broker/planning/planning_data.h"
#include "broker/planning/roster_csv.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/config.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

common::Result<std::unique_ptr<Store>> openStore(const std::string& configPath,
                                                 Store::Access access) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return cfg.error();
  return Store::open(cfg->databasePath, access);
}

// The planner options of --max-km, --horizon and --fill, once --format is checked too. Errors:
// invalidInput naming the flag.
common::Result<PlanOptions> parseOptions(const PlanCommandOptions& o) {
  if (!(o.maxKm > 0)) {
    return common::invalidInput("--max-km must be a positive number of kilometres");
  }
  PlanOptions out;
  out.maxKm = o.maxKm;
  if (o.horizon == "now") {
    out.horizon = Horizon::kNow;
  } else if (o.horizon == "72h") {
    out.horizon = Horizon::kWithin72h;
  } else {
    return common::invalidInput("--horizon must be 'now' or '72h'");
  }
  if (!(o.fill > 0.0 && o.fill <= 1.0)) {
    return common::invalidInput(
        "--fill must be more than 0 and at most 1: the share of a class's free seats a plan may "
        "use (0.95 keeps 5% free)");
  }
  out.fill = o.fill;
  if (o.format != "text" && o.format != "json" && o.format != "csv") {
    return common::invalidInput("--format must be text, json or csv");
  }
  return out;
}

// Planner::create()'s error as the CLI words it.
int cannotPlan(const common::Error& error) {
  return fail("the roster or capacity data cannot be planned with: " + error.message, kExitFailure);
}

// What both plan verbs work from: the checked options and the city's planning data.
struct PlanSetup {
  PlanOptions options;
  PlanningData data;
};

// Checks the verb's options, then reads the planning data from the database. On failure it has
// printed why and holds the exit code to return.
std::variant<PlanSetup, int> setUpPlan(const std::string& configPath, const PlanCommandOptions& o) {
  auto options = parseOptions(o);
  if (!options) return fail(options.error().message);
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  auto data = loadPlanningData(**store, clock.nowMs(), cfg->holidays);
  if (!data) return fail(data.error().message, kExitFailure);
  return PlanSetup{*options, std::move(*data)};
}

ScopeRules scopeRules(const PlanCommandOptions& o) {
  ScopeRules rules;
  rules.includeWhatIf = o.includeWhatIf;
  rules.includeClosed = o.includeClosed;
  rules.includeReduced = o.includeReduced;
  return rules;
}

}  // namespace

int runRosterImport(const std::string& configPath, const std::string& file, bool allowTransfer) {
  // A transfer is a roster change the city signs (docs/protocol.md, roster records).
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  auto& store = writer->store;
  auto& city = writer->city;
  auto text = common::readFile(file, 64 * 1024 * 1024);
  if (!text) return fail(text.error().message);
  auto parsed = parseRosterCsv(*text);
  if (auto* errors = std::get_if<std::vector<RosterError>>(&parsed)) {
    std::cerr << "samband-broker: " << file << " has " << errors->size()
              << " problem(s); nothing was imported:\n";
    for (const auto& e : *errors) std::cerr << "  " << e.message << "\n";
    return kExitUsage;
  }
  const auto& rows = std::get<std::vector<RosterRow>>(parsed);
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  CityChain chain(*store, *city);
  auto recordTransfers =
      [&](const std::map<std::string, std::vector<std::string>>& byProvider) -> common::Status {
    for (const auto& [provider, units] : byProvider) {
      common::EnrolmentMsg e{common::EnrolmentAction::UNITS, provider, {}, {}, {}, units, now, {}};
      if (auto issued = chain.record(e, now); !issued) return issued.error();
    }
    return {};
  };
  auto recordInfo = [&](const std::vector<UnitRosterRow>& changed) -> common::Status {
    // The metadata replicates to the city's other brokers (docs/replication.md).
    for (const auto& info : unitInfoRecords(changed)) {
      if (auto issued = chain.record(info, now); !issued) return issued.error();
    }
    return {};
  };
  if (auto s = importRoster(*store, rows, allowTransfer, now, recordTransfers, recordInfo); !s) {
    return fail(s.error().message);
  }
  std::cout << "Imported " << rows.size() << " unit(s) from " << file << ".\n";
  return kExitOk;
}

int runRosterExport(const std::string& configPath, const std::string& file) {
  auto store = openStore(configPath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  auto rows = exportRoster(**store);
  if (!rows) return fail("cannot read the roster: " + rows.error().message, kExitFailure);
  std::string csv = writeRosterCsv(*rows);
  if (file.empty() || file == "-") {
    std::cout << csv;
    return kExitOk;
  }
  if (auto s = common::writeFileAtomic(file, csv); !s) return fail(s.error().message);
  return kExitOk;
}

int runPlanTakeover(const std::string& configPath, const PlanCommandOptions& o) {
  auto setup = setUpPlan(configPath, o);
  if (auto* code = std::get_if<int>(&setup)) return *code;
  const auto& [options, data] = std::get<PlanSetup>(setup);
  auto named = resolveFailing(data, o.failing);
  if (!named) return fail(named.error().message);
  const PlanSelection selection = selectUnits(data, *named, scopeRules(o));
  auto planner = Planner::create(data.input);
  if (!planner) return cannotPlan(planner.error());
  auto plan = planner->plan(selection.scope(), options);
  if (!plan) return fail(plan.error().message);
  const Plan& p = *plan;
  if (o.format == "json") {
    std::cout << planToJson(p, data, selection, options).dump(2) << "\n";
  } else if (o.format == "csv") {
    std::cout << planToCsv(p, data, selection, options);
  } else {
    std::cout << planToText(p, data, selection, options);
  }
  return kExitOk;
}

int runPlanContingency(const std::string& configPath, const PlanCommandOptions& o) {
  auto setup = setUpPlan(configPath, o);
  if (auto* code = std::get_if<int>(&setup)) return *code;
  const auto& [options, data] = std::get<PlanSetup>(setup);
  // Today's situation, without what-if marks: every scenario adds one provider or district.
  ScopeRules rules = scopeRules(o);
  rules.includeWhatIf = false;
  const PlanSelection baseline = selectUnits(data, {}, rules);
  auto planner = Planner::create(data.input);
  if (!planner) return cannotPlan(planner.error());
  auto rows = planner->contingency(options, baseline.scope(), 0);
  if (!rows) return fail(rows.error().message);
  const auto& r = *rows;
  if (o.format == "json") {
    std::cout << contingencyToJson(r, data, baseline, options).dump(2) << "\n";
  } else if (o.format == "csv") {
    std::cout << contingencyToCsv(r);
  } else {
    std::cout << contingencyToText(r, data, baseline);
  }
  return kExitOk;
}

}  // namespace samband::broker
