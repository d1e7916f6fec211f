// Tests of RosterStore's key listing and roster units on a real SQLite file (enroll, transfer and
// revocation are in store_test.cpp).
#include "broker/store/roster_store.h"

#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <future>
#include <thread>
#include <tuple>
#include <vector>

#include "broker/store/archive_store.h"
#include "common/bytes.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

using RosterStoreTest = testing::StoreFixture;

UnitRosterRow unit(const std::string& code, const std::string& provider) {
  UnitRosterRow u;
  u.code = code;
  u.providerId = provider;
  u.name = "Skola " + code;
  u.district = "Centrum";
  u.lat = 59.3;
  u.lon = 18.1;
  u.schoolForms = "grundskola:1;grundskola:2";
  return u;
}

TEST_F(RosterStoreTest, ImportedUnitsExportAsStoredByCode) {
  RosterStore roster(*store_);
  UnitRosterRow bare = unit("10000002", "556000-0001");
  bare.name.clear();
  bare.lat.reset();
  bare.schoolForms.clear();
  ASSERT_TRUE(roster.importUnits({bare, unit("10000001", "556000-0001")}, false).ok());
  auto units = roster.exportUnits();
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 2u);
  EXPECT_EQ((*units)[0].code, "10000001");
  EXPECT_EQ((*units)[0].name, "Skola 10000001");
  EXPECT_EQ((*units)[0].lat, 59.3);
  EXPECT_EQ((*units)[0].schoolForms, "grundskola:1;grundskola:2");
  EXPECT_EQ((*units)[1].name, "");
  EXPECT_FALSE((*units)[1].lat.has_value());
  EXPECT_FALSE((*units)[1].lon.has_value());
  EXPECT_EQ(roster.loadUnitOwners()->at("10000002"), "556000-0001");
}

// The broker's committer writes all the time; an import that read first and wrote after would
// find its snapshot stale when the committer commits in between (SQLITE_BUSY_SNAPSHOT, seen as
// "roster not imported: database is locked" with `serve` running). It takes the write lock first.
TEST_F(RosterStoreTest, ImportWaitsForAnotherWriterInsteadOfFailing) {
  SQLite::Database other(dir_.file("broker.db"), SQLite::OPEN_READWRITE, 5000);
  other.exec("BEGIN IMMEDIATE");
  other.exec("INSERT INTO meta(key, value) VALUES('writer', 'committer')");
  // Hold the write lock while the import starts, then commit: the import must wait, not fail.
  auto committed = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.exec("COMMIT");
  });
  auto imported = RosterStore(*store_).importUnits({unit("10000001", "556000-0001")}, false);
  committed.get();
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(RosterStore(*store_).exportUnits()->size(), 1u);
}

TEST_F(RosterStoreTest, ImportRefusesAnotherProvidersUnitWithoutTransfer) {
  RosterStore roster(*store_);
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0001")}, false).ok());
  auto refused =
      roster.importUnits({unit("10000001", "556000-0002"), unit("10000003", "556000-0002")}, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::invalidInput);
  EXPECT_NE(refused.error().message.find("unit 10000001 belongs to 556000-0001"),
            std::string::npos);
  EXPECT_EQ(roster.exportUnits()->size(), 1u);  // nothing written
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0002")}, true).ok());
  EXPECT_EQ(roster.loadUnitOwners()->at("10000001"), "556000-0002");
}

TEST_F(RosterStoreTest, ListKeysShowsEachKeyAndFiltersByProvider) {
  auto alpha = common::Identity::generate("556000-0001");
  auto beta = common::Identity::generate("556000-0002");
  ASSERT_TRUE(alpha && beta);
  RosterStore roster(*store_);
  ASSERT_TRUE(
      roster.enroll(common::makeEnrollRequest(*alpha, "Alfa", {"10000001"}, kNow), false, kNow)
          .ok());
  ASSERT_TRUE(
      roster.enroll(common::makeEnrollRequest(*beta, "Beta", {"20000001"}, kNow), false, kNow)
          .ok());
  ASSERT_TRUE(roster.revokeKey(common::toHex(beta->keyId()), kNow + 7).ok());
  auto all = roster.listKeys(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].providerId, "556000-0001");
  EXPECT_EQ((*all)[0].providerName, "Alfa");
  EXPECT_EQ((*all)[0].enrolledAt, kNow);
  EXPECT_FALSE((*all)[0].revokedAt.has_value());
  EXPECT_EQ((*all)[0].frames, 0);
  EXPECT_EQ((*all)[1].revokedAt, kNow + 7);
  auto onlyBeta = roster.listKeys(std::string("556000-0002"));
  ASSERT_TRUE(onlyBeta.ok());
  ASSERT_EQ(onlyBeta->size(), 1u);
  EXPECT_EQ((*onlyBeta)[0].keyId, common::toHex(beta->keyId()));
  EXPECT_TRUE(roster.listKeys(std::string("000000-0000"))->empty());
}

// A peer broker's roster records (RosterStore::applyRecord, docs/replication.md).
common::EnrolmentMsg enrolRecord(const common::Identity& id, const std::string& unit, int64_t at) {
  common::EnrolmentMsg e;
  e.action = common::EnrolmentAction::ENROL;
  e.provider = id.id();
  e.keyId = id.keyId();
  e.signPublic.assign(id.signPublic().begin(), id.signPublic().end());
  e.curvePublic.assign(id.curvePublic().begin(), id.curvePublic().end());
  e.units = {unit};
  e.effectiveAt = at;
  return e;
}

common::EnrolmentMsg revokeRecord(const common::Identity& id, int64_t at) {
  return common::EnrolmentMsg{
      common::EnrolmentAction::REVOKE, id.id(), id.keyId(), {}, {}, {}, at, {}};
}

TEST_F(RosterStoreTest, PeerEnrolmentAddsKeyAndUnitOnceAndAgainChangesNothing) {
  auto id = common::Identity::generate("556000-0001");
  RosterStore roster(*store_);
  auto first = roster.applyRecord(enrolRecord(*id, "10000001", kNow));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->changed);
  EXPECT_TRUE(first->conflicts.empty());
  auto keys = roster.loadKeys();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].keyId, common::toHex(id->keyId()));
  EXPECT_EQ((*keys)[0].providerId, "556000-0001");
  EXPECT_EQ((*keys)[0].enrolledAt, kNow);
  EXPECT_FALSE((*keys)[0].revokedAt.has_value());
  EXPECT_EQ(roster.loadUnitOwners()->at("10000001"), "556000-0001");
  auto again = roster.applyRecord(enrolRecord(*id, "10000001", kNow + 5));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_TRUE(again->conflicts.empty());
  EXPECT_EQ(roster.loadKeys()->at(0).enrolledAt, kNow);
}

TEST_F(RosterStoreTest, PeerEnrolmentOfAKeyEnrolledHereTooChangesNothing) {
  auto id = common::Identity::generate("556000-0001");
  enrollProvider(*id, "10000001", kNow);
  auto applied = RosterStore(*store_).applyRecord(enrolRecord(*id, "10000001", kNow + 1000));
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(applied->changed);
  EXPECT_TRUE(applied->conflicts.empty());
  auto keys = RosterStore(*store_).listKeys(std::nullopt);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].providerName, "Huvudman 556000-0001");
  EXPECT_EQ((*keys)[0].enrolledAt, kNow);
}

TEST_F(RosterStoreTest, PeerRevocationRevokesFromItsTimeAndKeepsAnEarlierOne) {
  auto id = common::Identity::generate("556000-0001");
  enrollProvider(*id, "10000001", kNow);
  RosterStore roster(*store_);
  auto revoked = roster.applyRecord(revokeRecord(*id, kNow + 100));
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(revoked->changed);
  EXPECT_EQ(roster.loadKeys()->at(0).revokedAt, kNow + 100);
  // The other broker's record of the same revocation, a little later: already reflected.
  auto again = roster.applyRecord(revokeRecord(*id, kNow + 200));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(roster.loadKeys()->at(0).revokedAt, kNow + 100);
  // A revoked key stays revoked when its enrolment record arrives after the revocation.
  auto late = roster.applyRecord(enrolRecord(*id, "10000001", kNow));
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->changed);
  EXPECT_EQ(roster.loadKeys()->at(0).revokedAt, kNow + 100);
}

// Revocations and pulled history (docs/replication.md): a key's revoked head is the highest any
// broker's revocation record names, and a broker that held more of the chain than the first
// record it applies publishes its own head.
TEST_F(RosterStoreTest, PeerRevocationKeepsTheHighestHeadAndSaysWhenThisArchiveHoldsMore) {
  auto id = common::Identity::generate("556000-0001");
  enrollProvider(*id, "10000001", kNow);
  const std::string keyId = common::toHex(id->keyId());
  ArchiveStore archive(*store_);
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    const common::Bytes hash(32, static_cast<uint8_t>(seq));
    ASSERT_TRUE(archive
                    .appendFrame(NewFrame{id->id(), keyId, seq, "unit_status", "actual", kNow, kNow,
                                          hash, common::Bytes{1, 2, 3}})
                    .ok());
  }
  RosterStore roster(*store_);
  auto record = revokeRecord(*id, kNow + 100);
  record.revokedAfterSeq = 1;  // the peer held only the first
  auto applied = roster.applyRecord(record);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_TRUE(applied->changed);
  ASSERT_TRUE(applied->publishRevokedAfterSeq.has_value());
  EXPECT_EQ(*applied->publishRevokedAfterSeq, 3u);
  EXPECT_EQ(roster.loadKeys()->at(0).revokedAfterSeq, 3u);
  EXPECT_EQ(roster.revokedHeads()->at(keyId), 3u);
  // The peer's later record naming more raises it; one naming less changes nothing; neither asks
  // for a record of this broker's own (the key was revoked here already).
  record.revokedAfterSeq = 5;
  auto higher = roster.applyRecord(record);
  ASSERT_TRUE(higher.ok());
  EXPECT_TRUE(higher->changed);
  EXPECT_FALSE(higher->publishRevokedAfterSeq.has_value());
  EXPECT_EQ(roster.loadKeys()->at(0).revokedAfterSeq, 5u);
  record.revokedAfterSeq = 2;
  auto lower = roster.applyRecord(record);
  ASSERT_TRUE(lower.ok());
  EXPECT_FALSE(lower->changed);
  EXPECT_EQ(roster.loadKeys()->at(0).revokedAfterSeq, 5u);
}

TEST_F(RosterStoreTest, LocalRevocationNamesTheKeysChainHead) {
  auto id = common::Identity::generate("556000-0001");
  enrollProvider(*id, "10000001", kNow);
  const std::string keyId = common::toHex(id->keyId());
  ArchiveStore archive(*store_);
  for (uint64_t seq = 1; seq <= 2; ++seq) {
    const common::Bytes hash(32, static_cast<uint8_t>(seq));
    ASSERT_TRUE(archive
                    .appendFrame(NewFrame{id->id(), keyId, seq, "unit_status", "actual", kNow, kNow,
                                          hash, common::Bytes{1, 2, 3}})
                    .ok());
  }
  uint64_t named = 0;
  ASSERT_TRUE(RosterStore(*store_)
                  .revokeKey(keyId, kNow + 10,
                             [&](const std::string& provider, uint64_t head) -> common::Status {
                               EXPECT_EQ(provider, id->id());
                               named = head;
                               return {};
                             })
                  .ok());
  EXPECT_EQ(named, 2u);
  EXPECT_EQ(RosterStore(*store_).loadKeys()->at(0).revokedAfterSeq, 2u);
}

TEST_F(RosterStoreTest, PeerUnitsRecordMovesUnitsToItsProvider) {
  auto a = common::Identity::generate("556000-0001");
  auto b = common::Identity::generate("556000-0002");
  enrollProvider(*a, "10000001", kNow);
  enrollProvider(*b, "10000002", kNow);
  common::EnrolmentMsg units{common::EnrolmentAction::UNITS, b->id(),  {}, {}, {},
                             {"10000001", "10000003"},       kNow + 1, {}};
  RosterStore roster(*store_);
  auto moved = roster.applyRecord(units);
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(moved->changed);
  auto owners = roster.loadUnitOwners();
  EXPECT_EQ(owners->at("10000001"), "556000-0002");
  EXPECT_EQ(owners->at("10000003"), "556000-0002");
  EXPECT_FALSE(roster.applyRecord(units)->changed);
}

TEST_F(RosterStoreTest, PeerRecordsThisRosterContradictsChangeNothingAndAreNamed) {
  auto id = common::Identity::generate("556000-0001");
  enrollProvider(*id, "10000001", kNow);
  RosterStore roster(*store_);
  // The same key for another provider.
  common::EnrolmentMsg other = enrolRecord(*id, "10000009", kNow);
  other.provider = "556000-0002";
  auto refused = roster.applyRecord(other);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->changed);
  ASSERT_EQ(refused->conflicts.size(), 1u);
  EXPECT_NE(refused->conflicts[0].find("556000-0002"), std::string::npos);
  EXPECT_EQ(roster.loadUnitOwners()->count("10000009"), 0u);
  // A key id that is not the key's: nothing enrolled.
  auto stranger = common::Identity::generate("556000-0003");
  common::EnrolmentMsg lying = enrolRecord(*stranger, "10000003", kNow);
  lying.keyId = id->keyId();
  lying.provider = "556000-0003";
  EXPECT_EQ(roster.applyRecord(lying)->conflicts.size(), 1u);
  // A revocation of a key not enrolled here.
  auto unknown = roster.applyRecord(revokeRecord(*stranger, kNow));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->conflicts.size(), 1u);
  EXPECT_EQ(roster.loadKeys()->size(), 1u);
  EXPECT_FALSE(roster.loadKeys()->at(0).revokedAt.has_value());
}

// Issue 15: unit metadata, duty contacts and provider names as the city's signed records.

common::RosterInfoMsg unitInfo(const std::string& provider, const UnitRosterRow& row) {
  return common::RosterInfoMsg{
      common::RosterInfoKind::UNIT_INFO,
      provider,
      {},
      {common::UnitInfoMsg{row.code, row.name, row.district, row.lat, row.lon, row.schoolForms}}};
}

TEST_F(RosterStoreTest, PeerUnitInfoAddsTheUnitOnceAndAgainChangesNothing) {
  RosterStore roster(*store_);
  const auto record = unitInfo("556000-0001", unit("10000001", "556000-0001"));
  auto applied = roster.applyInfo(record, kNow);
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(applied->changed);
  EXPECT_TRUE(applied->conflicts.empty());
  auto units = roster.exportUnits();
  ASSERT_EQ(units->size(), 1u);
  EXPECT_EQ((*units)[0].name, "Skola 10000001");
  EXPECT_EQ((*units)[0].district, "Centrum");
  EXPECT_EQ((*units)[0].lat, 59.3);
  EXPECT_EQ((*units)[0].schoolForms, "grundskola:1;grundskola:2");
  EXPECT_EQ(roster.loadUnitOwners()->at("10000001"), "556000-0001");
  auto again = roster.applyInfo(record, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
}

TEST_F(RosterStoreTest, PeerUnitInfoOlderThanTheLocalImportChangesNothing) {
  RosterStore roster(*store_);
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0001")}, false, nullptr, kNow).ok());
  UnitRosterRow renamed = unit("10000001", "556000-0001");
  renamed.name = "Gamla skolan";
  EXPECT_FALSE(roster.applyInfo(unitInfo("556000-0001", renamed), kNow - 1)->changed);
  EXPECT_EQ(roster.exportUnits()->at(0).name, "Skola 10000001");
  // Newer: applied. Two brokers that imported apart both end with the newest.
  EXPECT_TRUE(roster.applyInfo(unitInfo("556000-0001", renamed), kNow + 1)->changed);
  EXPECT_EQ(roster.exportUnits()->at(0).name, "Gamla skolan");
}

TEST_F(RosterStoreTest, PeerUnitInfoForAUnitOfAnotherProviderIsNamedAndNotApplied) {
  RosterStore roster(*store_);
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0001")}, false, nullptr, kNow).ok());
  UnitRosterRow theirs = unit("10000001", "556000-0002");
  theirs.name = "Fel skola";
  auto refused = roster.applyInfo(unitInfo("556000-0002", theirs), kNow + 5);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->changed);
  ASSERT_EQ(refused->conflicts.size(), 1u);
  EXPECT_NE(refused->conflicts[0].find("10000001"), std::string::npos);
  EXPECT_NE(refused->conflicts[0].find("--transfer"), std::string::npos);
  EXPECT_EQ(roster.exportUnits()->at(0).name, "Skola 10000001");
  EXPECT_EQ(roster.loadUnitOwners()->at("10000001"), "556000-0001");
}

TEST_F(RosterStoreTest, ImportHandsOnlyNewOrChangedUnitsToTheRecordHook) {
  RosterStore roster(*store_);
  std::vector<std::vector<UnitRosterRow>> recorded;
  auto hook = [&](const std::vector<UnitRosterRow>& changed) -> common::Status {
    recorded.push_back(changed);
    return {};
  };
  const std::vector<UnitRosterRow> rows{unit("10000001", "556000-0001"),
                                        unit("10000002", "556000-0001")};
  ASSERT_TRUE(roster.importUnits(rows, false, nullptr, kNow, hook).ok());
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].size(), 2u);
  ASSERT_TRUE(roster.importUnits(rows, false, nullptr, kNow + 1, hook).ok());
  EXPECT_EQ(recorded.size(), 1u);  // the same file again: nothing to record
  auto changedRows = rows;
  changedRows[1].district = "Norr";
  ASSERT_TRUE(roster.importUnits(changedRows, false, nullptr, kNow + 2, hook).ok());
  ASSERT_EQ(recorded.size(), 2u);
  ASSERT_EQ(recorded[1].size(), 1u);
  EXPECT_EQ(recorded[1][0].code, "10000002");
  // A failing hook undoes the import.
  changedRows[0].name = "Ny";
  auto failing = [](const std::vector<UnitRosterRow>&) -> common::Status {
    return common::unavailable("no");
  };
  EXPECT_FALSE(roster.importUnits(changedRows, false, nullptr, kNow + 3, failing).ok());
  EXPECT_EQ(roster.exportUnits()->at(0).name, "Skola 10000001");
}

TEST_F(RosterStoreTest, DutyContactChangeIsRecordedOnceAndPeerContactsKeepTheNewest) {
  RosterStore roster(*store_);
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0001")}, false).ok());
  int recorded = 0;
  auto hook = [&]() -> common::Status {
    ++recorded;
    return {};
  };
  ASSERT_TRUE(roster.setDutyContact("556000-0001", "IT-jour 08-123 456 78", kNow, hook).ok());
  ASSERT_TRUE(roster.setDutyContact("556000-0001", "IT-jour 08-123 456 78", kNow + 1, hook).ok());
  EXPECT_EQ(recorded, 1);
  auto contact = [&] { return std::get<2>(roster.dutyContacts()->at(0)); };
  using common::RosterInfoKind;
  const common::RosterInfoMsg older{RosterInfoKind::DUTY_CONTACT, "556000-0001", "Rektor 1", {}};
  EXPECT_FALSE(roster.applyInfo(older, kNow - 1)->changed);
  EXPECT_EQ(contact(), "IT-jour 08-123 456 78");
  const common::RosterInfoMsg newer{RosterInfoKind::DUTY_CONTACT, "556000-0001", "Rektor 2", {}};
  EXPECT_TRUE(roster.applyInfo(newer, kNow + 5)->changed);
  EXPECT_FALSE(roster.applyInfo(newer, kNow + 5)->changed);
  EXPECT_EQ(contact(), "Rektor 2");
  // Set at the same millisecond on two brokers: both keep the greater text.
  const common::RosterInfoMsg tie{RosterInfoKind::DUTY_CONTACT, "556000-0001", "Rektor 1", {}};
  EXPECT_FALSE(roster.applyInfo(tie, kNow + 5)->changed);
  // Cleared on the peer.
  const common::RosterInfoMsg cleared{RosterInfoKind::DUTY_CONTACT, "556000-0001", "", {}};
  EXPECT_TRUE(roster.applyInfo(cleared, kNow + 9)->changed);
  EXPECT_EQ(contact(), "");
  // A provider this roster does not know: named, nothing added.
  const common::RosterInfoMsg stranger{RosterInfoKind::DUTY_CONTACT, "556000-0009", "Jour", {}};
  auto refused = roster.applyInfo(stranger, kNow);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->changed);
  EXPECT_EQ(refused->conflicts.size(), 1u);
  EXPECT_EQ(roster.dutyContacts()->size(), 1u);
}

TEST_F(RosterStoreTest, PeerProviderNameNamesTheProviderAndKeepsTheNewest) {
  auto id = common::Identity::generate("556000-0001");
  enrollProvider(*id, "10000001", kNow);  // named "Huvudman 556000-0001" here at kNow
  RosterStore roster(*store_);
  using common::RosterInfoKind;
  const common::RosterInfoMsg name{
      RosterInfoKind::PROVIDER_NAME, "556000-0001", "Friskolan AB", {}};
  EXPECT_FALSE(roster.applyInfo(name, kNow - 10)->changed);
  EXPECT_TRUE(roster.applyInfo(name, kNow + 10)->changed);
  EXPECT_FALSE(roster.applyInfo(name, kNow + 10)->changed);
  EXPECT_EQ(std::get<1>(roster.dutyContacts()->at(0)), "Friskolan AB");
}

}  // namespace
}  // namespace samband::broker
