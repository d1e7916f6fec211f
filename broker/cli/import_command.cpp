// `samband-broker import`: an offline file through the gate and the commit (ingest/offline_import).
#include <iostream>

#include "broker/cli/broker_config.h"
#include "broker/cli/city_writer.h"
#include "broker/cli/commands.h"
#include "broker/ingest/offline_import.h"
#include "common/clock.h"
#include "common/identity.h"

namespace samband::broker {

int runImport(const std::string& configPath, const std::string& path, bool json) {
  auto writer = openCityWriter(configPath);
  if (!writer) {
    std::cerr << "samband-broker: " << writer.error().message << "\n";
    return kExitUsage;
  }
  auto& cfg = writer->config;
  auto& store = writer->store;
  auto& city = writer->city;
  common::SystemClock clock;
  RosterCache roster(cfg.databasePath, clock);
  OfflineImport importer(*store, roster, clock, city.get());
  auto summary = importer.importFile(path);
  if (!summary) {
    std::cerr << "samband-broker: " << summary.error().message << "\n";
    return summary.error().kind == common::ErrorKind::invalidInput ? kExitUsage : kExitFailure;
  }
  std::cout << (json ? summary->toJson() : summary->toText());
  if (summary->refusedTotal() > 0) {
    std::cerr << "samband-broker: " << summary->refusedTotal() << " envelope(s) in " << path
              << " were refused and not stored (reasons above). bad_signature means the file was "
                 "altered or damaged on the way: ask the provider for a fresh samband-agent "
                 "export; unknown_sender or revoked: check the provider's enrollment "
                 "(samband-broker enroll / status); out_of_order: import the provider's older "
                 "files first, or let its agent deliver over the network\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace samband::broker
