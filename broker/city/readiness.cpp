// See readiness.h.
#include "broker/city/readiness.h"

#include <sodium.h>

#include "broker/city/city_chain.h"
#include "broker/city/time_beacon.h"
#include "broker/store/city_store.h"
#include "broker/store/write_transaction.h"
#include "common/bytes.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

std::string randomSuffix() {
  uint8_t b[3];
  randombytes_buf(b, sizeof b);
  return common::toHex(b, sizeof b);
}

}  // namespace

common::Result<std::string> issueCheck(Store& store, const common::Identity& city,
                                       const CheckOptions& o, int64_t nowMs) {
  std::string id = "rc-" + localDate(nowMs) + "-" + randomSuffix();
  auto fail = [](const common::Error& e) {
    return common::unavailable("check not issued: " + e.message);
  };
  auto tx = WriteTransaction::begin(store);
  if (!tx) return fail(tx.error());
  CityStore cityStore(store);
  if (o.scheduledFor) {
    auto existing = cityStore.checkScheduledFor(*o.scheduledFor);
    if (!existing) return fail(existing.error());
    if (*existing) {
      return common::Error{common::ErrorKind::conflict,
                           "a check for " + *o.scheduledFor + " exists: " + **existing};
    }
  }
  auto recipients = cityStore.enrolledProviders();
  if (!recipients) return fail(recipients.error());
  // `scheduled` tells a peer broker that this check is the day's scheduled one (it then takes
  // that day's slot there too); a manual `readiness run` does not.
  common::ReadinessCheckMsg check{
      id, nowMs, nowMs + o.deadlineMs, o.requireConfirmation,
      o.scheduledFor ? common::CheckOrigin::SCHEDULED : common::CheckOrigin::MANUAL};
  auto issued =
      CityChain(store, city).issue(check, o.mode, nowMs, *recipients, "readiness_check", id);
  if (!issued) return fail(issued.error());
  ReadinessCheckRow row;
  row.id = id;
  row.issuedAt = nowMs;
  row.deadline = nowMs + o.deadlineMs;
  row.mode = common::modeName(o.mode);
  row.requireConfirmation = o.requireConfirmation;
  row.scheduledFor = o.scheduledFor;
  row.frameId = issued->frameId;
  if (auto s = cityStore.insertCheck(row, *recipients); !s) return fail(s.error());
  // Checks go to every enrolled provider: the time beacon names the newest.
  if (auto s = store.setMeta(kMetaNewestCheck, id); !s) return fail(s.error());
  if (auto s = store.setMeta(kMetaNewestCheckAt, std::to_string(nowMs)); !s) {
    return fail(s.error());
  }
  if (auto s = tx->commit(); !s) return fail(s.error());
  return id;
}

common::Status recordReadinessAnswer(Store& store, const std::string& provider,
                                     const common::ReadinessAnswerMsg& a, int64_t sentAt,
                                     int64_t receivedAt, int64_t frameId) {
  json results = json::array();
  int failed = 0;
  for (const auto& t : a.results) {
    results.push_back({{"name", t.name}, {"passed", t.passed}, {"detail", t.detail}});
    if (!t.passed) ++failed;
  }
  ReadinessAnswerRow row;
  row.checkId = a.checkId;
  row.provider = provider;
  row.receivedAt = receivedAt;
  row.answeredAt = sentAt;
  row.results = results.dump();
  row.failed = failed;
  if (a.confirmed) row.confirmedAt = receivedAt;
  row.frameId = frameId;
  CityStore cityStore(store);
  if (auto s = cityStore.recordAnswer(row); !s) return s;
  return cityStore.markOutboundDelivered(provider, a.checkId, receivedAt);
}

common::Status closeDueChecks(Store& store, int64_t nowMs) {
  CityStore cityStore(store);
  auto due = cityStore.checksDueForClosing(nowMs);
  if (!due) return due.error();
  for (const auto& id : *due) {
    auto report = readinessReport(store, id, std::nullopt, nowMs);
    if (!report) continue;
    auto closed = cityStore.closeCheck(id, nowMs, report->toJson()["summary"].dump());
    if (!closed) return closed;
  }
  return {};
}

}  // namespace samband::broker
