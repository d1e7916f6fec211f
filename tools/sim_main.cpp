// samband-sim: a simulated city of school providers for the demo, the soak run and the
// benchmarks. Wiring only: parse the command line, call init or run.
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <map>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/process.h"
#include "common/version.h"
#include "tools/city_model.h"
#include "tools/sim_directory.h"
#include "tools/sim_run.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

volatile std::sig_atomic_t gStop = 0;

extern "C" void onStopSignal(int) { gStop = 1; }

int fail(const std::string& message) {
  std::cerr << "samband-sim: " << message << "\n";
  return kExitUsage;
}

int runInit(const std::string& dir, const std::string& broker, const std::string& cityKeys,
            const samband::tools::CityOptions& options) {
  using namespace samband::tools;
  auto city = generateCity(options);
  if (!city) return fail(city.error().message);
  samband::common::SystemClock clock;
  if (auto s = createSimDirectory(*city, dir, broker, cityKeys, clock.nowMs()); !s) {
    return fail(s.error().message);
  }
  std::map<std::string, int> perDistrict;
  for (const auto& u : city->units) perDistrict[stockholmDistricts()[u.district].name]++;
  std::cout << "Created a simulated city in " << dir << ": " << city->providers.size()
            << " providers (" << kCityProviderName << " with " << city->providers[0].units.size()
            << " units, and " << city->providers.size() - 1 << " private providers), "
            << city->units.size() << " school units in " << perDistrict.size() << " districts.\n"
            << "  " << dir << "/agents/<orgnr>/  one agent directory per provider\n"
            << "  " << dir << "/roster.csv       the roster (samband-broker roster import)\n"
            << "  " << dir << "/requests.txt     the enrollment requests, one path a line\n"
            << "Next: samband-broker enroll --config BROKER/broker.toml --request ... for each "
               "line of requests.txt, then samband-sim run --dir "
            << dir << "\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace samband;
  common::initSodium();
  ::umask(077);  // identities and outboxes: private by default
  CLI::App app{"samband-sim: a simulated city of school providers driving real agents"};
  app.set_version_flag("--version", std::string("samband-sim ") + common::versionText());
  app.require_subcommand(1);

  std::string dir;
  std::string broker = "tcp://127.0.0.1:7700";
  std::string cityKeys;
  tools::CityOptions city;
  int64_t seed = 1;
  auto* initCmd =
      app.add_subcommand("init", "Generate a city: agent directories, roster, requests");
  initCmd->add_option("--dir", dir, "Directory to create")->required();
  initCmd->add_option("--broker", broker, "Broker endpoint the agents connect to");
  initCmd->add_option("--city-keys", cityKeys, "The broker's city.pub")->required();
  initCmd
      ->add_option("--providers", city.providers,
                   "Providers, the city's own schools included (default 60)")
      ->check(CLI::Range(1, 100000));
  initCmd->add_option("--units", city.units, "School units (default 200)")
      ->check(CLI::Range(1, 1000000));
  initCmd->add_option("--seed", seed, "Seed; the same seed gives the same city (default 1)")
      ->check(CLI::NonNegativeNumber);

  tools::RunOptions run;
  std::string scenario = "storm";
  std::string logLevel = "warn";
  auto* runCmd = app.add_subcommand("run", "Run every agent of the city until stopped");
  runCmd->add_option("--dir", run.dir, "Directory made by samband-sim init")->required();
  runCmd->add_option("--rate", run.rate, "Reports per second across the city (default 2)");
  runCmd
      ->add_option("--duration", run.durationS,
                   "Seconds to run, then wait for the outboxes to drain (0: until SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  runCmd->add_option("--scenario", scenario, "storm (default) or none")
      ->check(CLI::IsMember({"storm", "none"}));
  runCmd
      ->add_option("--exercise-share", run.exerciseShare,
                   "Share of reports sent in exercise mode (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  runCmd->add_option("--storm-after", run.stormAfterS, "Seconds before the storm (default 60)")
      ->check(CLI::NonNegativeNumber);
  runCmd
      ->add_option("--drain-timeout", run.drainTimeoutS,
                   "After --duration, seconds to wait for acknowledgements (default 30)")
      ->check(CLI::NonNegativeNumber);
  runCmd
      ->add_option("--status-every", run.statusEveryS,
                   "Seconds between progress lines (default 10)")
      ->check(CLI::PositiveNumber);
  runCmd->add_option("--log-level", logLevel, "Agent log level: debug, info, warn (default), error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  if (*initCmd) {
    city.seed = static_cast<uint64_t>(seed);
    return runInit(dir, broker, cityKeys, city);
  }

  common::hardenProcess();  // the process holds every simulated provider's secret keys
  common::setLogLevel(logLevel == "debug"  ? common::LogLevel::debug
                      : logLevel == "info" ? common::LogLevel::info
                      : logLevel == "warn" ? common::LogLevel::warn
                                           : common::LogLevel::error);
  run.scenario = scenario == "storm" ? tools::Scenario::storm : tools::Scenario::none;
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return tools::runSimulation(run, gStop, std::cout);
}
