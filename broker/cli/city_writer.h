// What every verb that changes the archive opens first: broker.toml, the city's identity (it
// signs the records, checkpoints and messages those verbs write) and the database read-write.
#pragma once

#include <memory>
#include <string>

#include "broker/cli/broker_config.h"
#include "broker/store/store.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

struct CityWriter {
  BrokerConfig config;
  std::unique_ptr<common::Identity> city;
  std::unique_ptr<Store> store;
};

// Loads `configPath`, the city identity it names and opens (creating or migrating) the database.
// Errors: the config's, the identity file's or the database's, each saying what to fix.
common::Result<CityWriter> openCityWriter(const std::string& configPath);

}  // namespace samband::broker
