// The city messages of a peer broker (issue 15, docs/replication.md): a readiness check or a
// directive pulled from a peer's city chain is recorded in this broker's readiness and directive
// tables and queued for its recipients, exactly as if this broker had issued it, so the board,
// the CLI, the deadline report and the scheduler see one city. Called by the committer inside
// the transaction that archives the pulled frame.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

// Meta key prefix of the newest directive to every provider per issuing city key:
// "beacon_directive_number/<key id hex>" (set by sendDirective and for pulled directives).
inline constexpr const char* kMetaDirectiveToAllByKey = "beacon_directive_number/";
// Meta key: issue time (ms) of the directive that set the current level, so a directive pulled
// late (after a partition) does not undo a newer level set on this broker.
inline constexpr const char* kMetaLevelSetAt = "level_set_at";

struct PeerCityOutcome {
  // Why a message was archived but not (fully) recorded, one sentence each, for the log.
  std::vector<std::string> conflicts;
};

// Records `m` (sender "city", signed by `keyIdHex`, archived as frame `frameId` with
// `envelope`) when it is a readiness check or a directive; anything else changes nothing.
// Idempotent: a check or directive already recorded (by id) is left alone.
// - check: a row with this broker's enrolled providers as recipients, queued for those that have
//   not answered yet; a check of mode actual takes its local date's scheduled slot when that is
//   free, so this broker's scheduler does not issue a second check that day.
// - directive: a row with its recipients (every enrolled provider when it names none), queued
//   for them; acknowledgements archived before it are applied; a level (mode actual) is taken
//   when the directive is newer than the one that set the current level. A directive whose
//   number or id this broker already gave another directive (both brokers issued during a
//   partition) is queued for delivery but not recorded: a conflict.
// Errors: unavailable (the caller rolls back).
common::Result<PeerCityOutcome> applyPeerCityMessage(Store& store, const common::Message& m,
                                                     const std::string& keyIdHex,
                                                     const common::Bytes& envelope,
                                                     int64_t frameId);

// Sets the beacon's and the level's meta for a directive issued (or pulled) now: the newest
// directive to all (overall and per issuing key) when `toAll`, the level when `level` is not
// unchanged and the mode is actual and the directive is newer than the one that set the level.
// Errors: unavailable.
common::Status noteDirectiveFacts(Store& store, const std::string& keyIdHex, uint64_t number,
                                  bool toAll, common::ReadinessLevel level, common::Mode mode,
                                  int64_t issuedAt);

}  // namespace samband::broker
