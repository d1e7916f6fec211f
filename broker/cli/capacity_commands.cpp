// CLI verbs for what the city itself knows about its schools (see commands.h): capacity figures
// from its registers (`capacity import` / `capacity export`, CSV) and each provider's duty
// contact (`contact set` / `contact list`), both shown on takeover plans.
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "broker/city/city_chain.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/city_writer.h"
#include "broker/cli/commands.h"
#include "broker/planning/capacity_csv.h"
#include "broker/store/capacity_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/text_rules.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

constexpr size_t kMaxCapacityFileBytes = 64 * 1024 * 1024;

common::Result<std::unique_ptr<Store>> openStore(const std::string& configPath,
                                                 Store::Access access) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return cfg.error();
  return Store::open(cfg->databasePath, access);
}

}  // namespace

int runCapacityImport(const std::string& configPath, const std::string& file) {
  auto store = openStore(configPath, Store::Access::readWrite);
  if (!store) return fail(store.error().message);
  auto text = common::readFile(file, kMaxCapacityFileBytes + 1);
  if (!text) return fail(text.error().message);
  if (text->size() > kMaxCapacityFileBytes) {
    return fail(file + " is larger than " + std::to_string(kMaxCapacityFileBytes >> 20) +
                " MiB; split it and import the parts one by one");
  }
  auto units = RosterStore(**store).exportUnits();
  if (!units) return fail("cannot read the roster: " + units.error().message, kExitFailure);
  std::set<std::string> known;
  for (const auto& u : *units) known.insert(u.code);
  auto parsed = parseCapacityCsv(*text, known);
  if (auto* errors = std::get_if<std::vector<CapacityCsvError>>(&parsed)) {
    std::cerr << "samband-broker: " << file << " has " << errors->size()
              << " problem(s); nothing was imported:\n";
    for (const auto& e : *errors) std::cerr << "  " << e.message << "\n";
    return kExitUsage;
  }
  const auto& rows = std::get<std::vector<CapacityCsvRow>>(parsed);
  std::vector<CapacityImportRow> figures;
  std::set<std::string> unitsNamed;
  for (const auto& r : rows) {
    figures.push_back({r.unit, r.form, r.year, r.enrolled, r.seatsNow, r.seats72h});
    unitsNamed.insert(r.unit);
  }
  common::SystemClock clock;
  if (auto s = CapacityStore(**store).importFigures(figures, file, clock.nowMs()); !s) {
    return fail("cannot store the figures: " + s.error().message, kExitFailure);
  }
  std::cout << "Imported " << rows.size() << " figure(s) for " << unitsNamed.size()
            << " unit(s) from " << file
            << ". For each unit, form and year the newer of this import and the unit's own "
               "report counts.\n";
  return kExitOk;
}

int runCapacityExport(const std::string& configPath, const std::string& file) {
  auto store = openStore(configPath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  auto figures = CapacityStore(**store).newestFigures();
  if (!figures) return fail("cannot read the figures: " + figures.error().message, kExitFailure);
  std::vector<CapacityCsvRow> rows;
  for (const auto& f : *figures) {
    rows.push_back({f.code, f.form, f.year, f.enrolled, f.seatsNow, f.seats72h, 0});
  }
  const std::string csv = writeCapacityCsv(rows);
  if (file.empty() || file == "-") {
    std::cout << csv;
    return kExitOk;
  }
  if (auto s = common::writeFileAtomic(file, csv); !s) return fail(s.error().message);
  return kExitOk;
}

int runContactSet(const std::string& configPath, const std::string& provider,
                  const std::string& text) {
  if (!common::isProviderId(provider)) {
    return fail("--provider '" + provider + "' must be an organisation number NNNNNN-NNNN");
  }
  if (text.size() > common::kMaxShortText || !common::isCleanText(text) ||
      text.find('\n') != std::string::npos) {
    return fail("--text must be one line of plain text of at most " +
                std::to_string(common::kMaxShortText) +
                " bytes: a role and a number, e.g. \"IT-jour 08-123 456 78\"");
  }
  // The contact replicates as a city-signed record (docs/replication.md).
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  auto& store = writer->store;
  CityChain chain(*store, *writer->city);
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  auto record = [&]() -> common::Status {
    auto issued = chain.record(
        common::RosterInfoMsg{common::RosterInfoKind::DUTY_CONTACT, provider, text, {}}, now);
    if (!issued) return issued.error();
    return {};
  };
  if (auto s = RosterStore(*store).setDutyContact(provider, text, now, record); !s) {
    return fail(s.error().message,
                s.error().kind == common::ErrorKind::notFound ? kExitUsage : kExitFailure);
  }
  std::cout << (text.empty() ? "Cleared the duty contact of " + provider
                             : "Duty contact of " + provider + ": " + text)
            << "\n";
  return kExitOk;
}

int runContactList(const std::string& configPath, bool json) {
  auto store = openStore(configPath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  auto rows = RosterStore(**store).dutyContacts();
  if (!rows) return fail("cannot read the providers: " + rows.error().message, kExitFailure);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, name, contact] : *rows) {
      out.push_back(
          {{"provider_id", id},
           {"name", name},
           {"duty_contact", contact.empty() ? nlohmann::json(nullptr) : nlohmann::json(contact)}});
    }
    std::cout << nlohmann::json{{"providers", out}}.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [id, name, contact] : *rows) {
    std::cout << id << "  " << name << "  " << (contact.empty() ? "(no duty contact)" : contact)
              << "\n";
  }
  return kExitOk;
}

}  // namespace samband::broker
