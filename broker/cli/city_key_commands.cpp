// See city_key_commands.h.
#include "broker/cli/city_key_commands.h"

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "broker/city/city_chain.h"
#include "broker/city/key_records.h"
#include "broker/cli/city_writer.h"
#include "broker/cli/commands.h"
#include "broker/picture/moment.h"
#include "broker/store/write_transaction.h"
#include "common/city_keyring.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/identity.h"
#include "common/ids.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// The root public key this broker's database records (set by the first certify or add with
// --config); nothing when none was recorded.
common::Result<std::optional<common::PublicKey>> recordedRoot(Store& store) {
  auto hex = store.meta(kMetaCityRootSignPublic);
  if (!hex) return hex.error();
  if (!*hex) return std::optional<common::PublicKey>{};
  common::PublicKey key{};
  if (!common::fromHex(**hex, key.data(), key.size())) {
    return common::invalidInput("meta " + std::string(kMetaCityRootSignPublic) +
                                " is damaged; run city-key add with --root-pub root.pub");
  }
  return std::optional<common::PublicKey>{key};
}

// Archives `keys` (already checked against `root`) in the broker's city chain, in one
// transaction, skipping statements the archive already holds. Records the root.
common::Result<int> archiveStatements(CityWriter& w, const common::PublicKey& root,
                                      const std::vector<common::SignedCityKey>& keys) {
  auto tx = WriteTransaction::begin(*w.store);
  if (!tx) return tx.error();
  auto recorded = recordedRoot(*w.store);
  if (!recorded) return recorded.error();
  if (*recorded && **recorded != root) {
    return common::invalidInput("this broker's database records another city root (" +
                                common::toHex(common::keyIdOf(**recorded)) +
                                "); statements of root " + common::toHex(common::keyIdOf(root)) +
                                " were not added");
  }
  auto known = cityKeyringFromArchive(*w.store, root);
  if (!known) return known.error();
  if (auto s = w.store->setMeta(kMetaCityRootSignPublic, common::toHex(root.data(), root.size()));
      !s) {
    return s.error();
  }
  common::SystemClock clock;
  CityChain chain(*w.store, *w.city);
  int added = 0;
  for (const auto& k : keys) {
    auto isNew = known->add(k);
    if (!isNew) return isNew.error();
    if (!*isNew) continue;
    auto issued = chain.recordKey(k.toMessage(), clock.nowMs());
    if (!issued) return issued.error();
    ++added;
  }
  if (auto s = tx->commit(); !s) return s.error();
  return added;
}

int writeOrArchive(const common::SignedCityKey& key, const common::Identity& root,
                   const std::string& out, const std::string& config) {
  if (!out.empty()) {
    if (exists(out)) return fail(out + " already exists; refusing to overwrite it");
    if (auto s = common::writeFileAtomic(out, key.toText()); !s) return fail(s.error().message);
    std::cout << "Wrote " << out << ".\n";
  }
  if (!config.empty()) {
    auto writer = openCityWriter(config);
    if (!writer) return fail(writer.error().message);
    auto added = archiveStatements(*writer, root.signPublic(), {key});
    if (!added) return fail(added.error().message, kExitFailure);
    std::cout << (*added > 0 ? "Archived it in the city chain of " : "Already archived in ")
              << config << "; connected agents learn it within seconds.\n";
  }
  return kExitOk;
}

}  // namespace

int runCityKeyInit(const std::string& outDir) {
  const std::string identity = outDir + "/root.identity";
  const std::string pub = outDir + "/root.pub";
  if (exists(identity) || exists(pub)) {
    return fail(identity + " or " + pub + " already exists; refusing to overwrite a city root");
  }
  std::error_code ec;
  std::filesystem::create_directories(outDir, ec);
  if (ec) return fail("cannot create directory " + outDir + ": " + ec.message());
  auto root = common::Identity::generate(common::kCitySenderId);
  if (auto s = root->save(identity); !s) return fail(s.error().message);
  if (auto s = root->publicPart().save(pub); !s) return fail(s.error().message);
  std::cout << "Created " << identity << " (secret, mode 0600: keep it offline) and " << pub
            << " (root key id " << common::toHex(root->keyId()) << ").\n"
            << "Next: certify each broker's key: samband-broker city-key certify --root "
            << identity << " --config broker.toml --label primary --out primary.cert\n"
            << "Give agents " << pub << " with the certificates appended "
            << "(cat root.pub primary.cert > city-keys.pub; docs/operations.md).\n";
  return kExitOk;
}

int runCityKeyCertify(const CityKeyCertifyOptions& o) {
  if (o.out.empty() && o.config.empty()) {
    return fail("give --out CERT (a certificate file) or --config broker.toml (archive it there)");
  }
  if (o.label.empty() || o.label.size() > common::kMaxCityKeyLabel) {
    return fail("--label must name the broker (1 to 64 characters), e.g. primary or standby");
  }
  auto root = common::Identity::load(o.root);
  if (!root) return fail(root.error().message);
  common::PublicIdentity key;
  if (!o.key.empty()) {
    auto loaded = common::PublicIdentity::load(o.key);
    if (!loaded) return fail(loaded.error().message);
    key = std::move(loaded).value();
  } else if (!o.config.empty()) {
    auto cfg = loadBrokerConfig(o.config);
    if (!cfg) return fail(cfg.error().message);
    auto identity = common::Identity::load(cfg->identityPath);
    if (!identity) return fail(identity.error().message);
    key = (*identity)->publicPart();
  } else {
    return fail("give --key city.pub (the broker's public key) or --config broker.toml");
  }
  if (key.id != common::kCitySenderId) {
    return fail(o.key + " is the key of '" + key.id + "', not a city (broker) key");
  }
  common::SystemClock clock;
  auto cert = common::certifyCityKey(**root, key, o.label, clock.nowMs());
  std::cout << "Certified city key " << common::toHex(key.keyId()) << " (" << o.label
            << ") under root " << common::toHex((*root)->keyId()) << ".\n";
  return writeOrArchive(cert, **root, o.out, o.config);
}

int runCityKeyRevoke(const CityKeyRevokeOptions& o) {
  if (o.out.empty() && o.config.empty()) {
    return fail("give --out FILE (a revocation file) or --config broker.toml (archive it there)");
  }
  common::Bytes keyId;
  if (!common::fromHex(o.keyId, &keyId) || keyId.size() != common::kKeyIdBytes) {
    return fail("--key-id must be 16 hex digits, as `samband-broker city-key list` prints it");
  }
  auto root = common::Identity::load(o.root);
  if (!root) return fail(root.error().message);
  if (keyId == (*root)->keyId()) {
    return fail(
        "that is the root's own key: a root cannot revoke itself. Make a new root "
        "(city-key init) and give agents its root.pub (docs/operations.md)");
  }
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  int64_t from = now;
  if (o.from != "now") {
    auto parsed = parseMoment(o.from, "--from");
    if (!parsed) return fail(parsed.error().message);
    from = *parsed;
  }
  auto revocation = common::revokeCityKey(**root, keyId, o.label, now, from);
  std::cout << "Revoked city key " << o.keyId << " from " << from << " (ms since epoch).\n";
  return writeOrArchive(revocation, **root, o.out, o.config);
}

int runCityKeyAdd(const std::string& configPath, const std::string& rootPub,
                  const std::vector<std::string>& files) {
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  common::PublicKey root{};
  if (!rootPub.empty()) {
    auto pub = common::PublicIdentity::load(rootPub);
    if (!pub) return fail(pub.error().message);
    root = pub->signPublic;
  } else {
    auto recorded = recordedRoot(*writer->store);
    if (!recorded) return fail(recorded.error().message, kExitFailure);
    if (!*recorded) {
      return fail(
          "this broker records no city root yet; pass --root-pub root.pub the first "
          "time");
    }
    root = **recorded;
  }
  std::vector<common::SignedCityKey> keys;
  common::CityKeyring check(root);
  for (const auto& file : files) {
    auto lines = common::loadCityKeyLines(file);
    if (!lines) return fail(lines.error().message);
    if (lines->empty()) return fail(file + " holds no certificate or revocation line");
    for (auto& k : *lines) {
      if (auto added = check.add(k); !added) return fail(file + ": " + added.error().message);
      keys.push_back(std::move(k));
    }
  }
  auto added = archiveStatements(*writer, root, keys);
  if (!added) return fail(added.error().message, kExitFailure);
  std::cout << "Archived " << *added << " new statement(s) (" << keys.size() - *added
            << " already held); connected agents learn them within seconds.\n";
  return kExitOk;
}

int runCityKeyList(const std::string& configPath, const std::string& rootPub, bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  std::string ownKeyId;
  if (auto pub = (*store)->meta(kMetaCityKeyId); pub && *pub) ownKeyId = **pub;
  common::PublicKey root{};
  std::string rootSource;
  if (!rootPub.empty()) {
    auto pub = common::PublicIdentity::load(rootPub);
    if (!pub) return fail(pub.error().message);
    root = pub->signPublic;
    rootSource = rootPub;
  } else {
    auto recorded = recordedRoot(**store);
    if (!recorded) return fail(recorded.error().message, kExitFailure);
    if (*recorded) {
      root = **recorded;
      rootSource = "database";
    } else {
      auto hex = (*store)->meta(kMetaCitySignPublic);
      if (!hex || !*hex || !common::fromHex(**hex, root.data(), root.size())) {
        return fail("no city key recorded yet (serve never ran); pass --root-pub root.pub");
      }
      rootSource = "single key (the broker's own key is the root)";
    }
  }
  std::vector<std::string> problems;
  auto keyring = cityKeyringFromArchive(**store, root, &problems);
  if (!keyring) return fail(keyring.error().message, kExitFailure);
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : keyring->keys()) {
    const std::string id = common::toHex(k.keyId);
    std::string state = k.isRoot ? "root" : k.certified ? "certified" : "unknown";
    if (k.revokedFrom) state = "revoked";
    keys.push_back(
        {{"key_id", id},
         {"label", k.label},
         {"state", state},
         {"revoked_from", k.revokedFrom ? nlohmann::json(*k.revokedFrom) : nullptr},
         {"certified_at", k.isRoot ? nlohmann::json(nullptr) : nlohmann::json(k.certifiedAt)},
         {"this_broker", id == ownKeyId}});
  }
  if (json) {
    std::cout << nlohmann::json{{"root_key_id", common::toHex(common::keyIdOf(root))},
                                {"root_source", rootSource},
                                {"keys", keys},
                                {"problems", problems}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "City root " << common::toHex(common::keyIdOf(root)) << " (from " << rootSource
              << ")\n";
    for (const auto& k : keys) {
      std::cout << "  " << k["key_id"].get<std::string>() << "  " << k["state"].get<std::string>();
      if (!k["revoked_from"].is_null()) std::cout << " from " << k["revoked_from"].get<int64_t>();
      std::cout << "  " << k["label"].get<std::string>()
                << (k["this_broker"].get<bool>() ? "  (this broker)" : "") << "\n";
    }
    for (const auto& p : problems) std::cout << "  PROBLEM: " << p << "\n";
  }
  return problems.empty() ? kExitOk : kExitFailure;
}

int runCityKeyNew(const std::string& out, const std::string& transportFrom) {
  if (exists(out)) return fail(out + " already exists; refusing to overwrite an identity");
  std::unique_ptr<common::Identity> fresh;
  if (transportFrom.empty()) {
    fresh = common::Identity::generate(common::kCitySenderId);
  } else {
    auto transport = common::Identity::load(transportFrom);
    if (!transport) return fail(transport.error().message);
    fresh = common::Identity::generateSharingTransport(common::kCitySenderId, **transport);
  }
  if (auto s = fresh->save(out); !s) return fail(s.error().message);
  const std::string pub = out.size() > 9 && out.substr(out.size() - 9) == ".identity"
                              ? out.substr(0, out.size() - 9) + ".pub"
                              : out + ".pub";
  if (auto s = fresh->publicPart().save(pub); !s) return fail(s.error().message);
  std::cout << "Created " << out << " (secret, mode 0600) and " << pub << " (key id "
            << common::toHex(fresh->keyId()) << ")"
            << (transportFrom.empty() ? "" : ", keeping the transport key of " + transportFrom)
            << ".\nNext: certify it with the root (city-key certify --key " << pub
            << " ...), archive the certificate, then point [broker] identity at it.\n";
  return kExitOk;
}

}  // namespace samband::broker
