// See time_beacon.h.
#include "broker/city/time_beacon.h"

#include <string>

#include "broker/city/directives.h"
#include "broker/city/peer_city_messages.h"
#include "broker/store/city_store.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

constexpr int64_t kErrorLogEveryMs = 60'000;

common::Result<int64_t> metaNumber(Store& store, const char* key) {
  auto v = store.meta(key);
  if (!v) return v.error();
  if (!*v) return int64_t{0};
  try {
    return static_cast<int64_t>(std::stoll(**v));
  } catch (const std::exception&) {
    return int64_t{0};
  }
}

}  // namespace

common::Result<common::TimeBeaconMsg> readBeaconFacts(Store& store) {
  common::TimeBeaconMsg facts;
  auto level = store.meta(kMetaLevel);
  if (!level) return level.error();
  if (!*level || !common::parseLevel(**level, &facts.level)) {
    facts.level = common::ReadinessLevel::NORMAL;
  }
  auto number = metaNumber(store, kMetaDirectiveToAll);
  if (!number) return number.error();
  facts.directiveNumber = static_cast<uint64_t>(*number);
  auto check = store.meta(kMetaNewestCheck);
  if (!check) return check.error();
  if (*check) facts.checkId = **check;
  auto checkAt = metaNumber(store, kMetaNewestCheckAt);
  if (!checkAt) return checkAt.error();
  facts.checkIssuedAt = *checkAt;
  // Per issuing broker key (docs/replication.md): the newest directive to all of each.
  auto marks = CityStore(store).metaWithPrefix(kMetaDirectiveToAllByKey);
  if (!marks) return marks.error();
  for (const auto& [keyHex, value] : *marks) {
    common::Bytes keyId;
    if (!common::fromHex(keyHex, &keyId) || keyId.size() != common::kKeyIdBytes) continue;
    try {
      facts.directiveMarks.emplace_back(std::move(keyId), std::stoull(value));
    } catch (const std::exception&) {
      continue;
    }
    if (facts.directiveMarks.size() == common::kMaxDirectiveMarks) break;
  }
  return facts;
}

common::Bytes signTimeBeacon(const common::Identity& city, const common::TimeBeaconMsg& facts,
                             int64_t nowMs) {
  common::Message m;
  m.senderId = common::kCitySenderId;
  m.keyId = city.keyId();
  m.seq = 0;
  m.sentAt = nowMs;
  m.mode = common::Mode::ACTUAL;
  m.payload = facts;
  return common::seal(city, m).envelope;
}

TimeBeaconMaker::TimeBeaconMaker(const common::Identity& city, int64_t periodMs)
    : city_(city), periodMs_(periodMs) {}

const common::Bytes& TimeBeaconMaker::current(Store& store, int64_t nowMs) {
  if (!envelope_.empty() && nowMs - madeAt_ < periodMs_ && nowMs >= madeAt_) return envelope_;
  auto facts = readBeaconFacts(store);
  if (!facts) {
    if (nowMs - lastErrorLogAt_ >= kErrorLogEveryMs) {
      lastErrorLogAt_ = nowMs;
      common::logError("beacon",
                       "cannot read what the city's time beacon names: " + facts.error().message +
                           "; agents will report the city silent until it is fixed");
    }
    return envelope_;
  }
  envelope_ = signTimeBeacon(city_, *facts, nowMs);
  madeAt_ = nowMs;
  return envelope_;
}

}  // namespace samband::broker
