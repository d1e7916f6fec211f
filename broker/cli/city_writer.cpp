// See city_writer.h.
#include "broker/cli/city_writer.h"

namespace samband::broker {

common::Result<CityWriter> openCityWriter(const std::string& configPath) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return cfg.error();
  auto city = common::Identity::load(cfg->identityPath);
  if (!city) return city.error();
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return store.error();
  return CityWriter{std::move(cfg).value(), std::move(city).value(), std::move(store).value()};
}

}  // namespace samband::broker
