// CityStore: typed access to what the city sends and what comes back: the per-provider queue of
// outgoing city messages (outbound), readiness checks with their recipients and answers,
// directives with their recipients' delivery and acknowledgement. The city chain's frames
// themselves are archived through ArchiveStore. The only place with these tables' SQL;
// exceptions stay inside.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// A city message queued for one provider.
struct QueuedMessage {
  int64_t id = 0;
  std::string provider;
  common::Bytes envelope;
};

struct ReadinessCheckRow {
  std::string id;
  int64_t issuedAt = 0;
  int64_t deadline = 0;
  std::string mode;
  bool requireConfirmation = false;
  std::optional<std::string> scheduledFor;  // local date of a scheduled check
  int64_t frameId = 0;
};

struct ReadinessAnswerRow {
  std::string checkId;
  std::string provider;
  int64_t receivedAt = 0;
  int64_t answeredAt = 0;  // the sender's sent_at
  std::string results;     // JSON array of self-test results
  int failed = 0;
  std::optional<int64_t> confirmedAt;
  int64_t frameId = 0;
};

// One recipient of a check with its answer (if any) and its record over recent checks.
struct RecipientAnswer {
  std::string provider;
  std::string name;  // the provider's name, or its id when it has none
  std::optional<int64_t> receivedAt;
  std::string results;  // JSON, empty when no answer
  std::optional<int64_t> confirmedAt;
  int checksCounted = 0;  // the provider's last checks (at most 30) in the check's mode
  int answeredInTime = 0;
};

struct DirectiveRecipient {
  std::string provider;
  std::optional<int64_t> deliveredAt;
  std::optional<int64_t> acknowledgedAt;
};

struct DirectiveRow {
  std::string id;
  std::string keyId;  // hex id of the city key that signed it (with `id`, the directive's key)
  int64_t number = 0;
  std::string text;
  std::string level;
  bool requireAck = false;
  std::string mode;
  int64_t issuedAt = 0;
  int64_t expiresAt = 0;
  int64_t frameId = 0;
  std::vector<DirectiveRecipient> recipients;  // filled by directives(), by provider id
};

class CityStore {
 public:
  // `store` must outlive this object; used only on the thread that owns `store`.
  explicit CityStore(Store& store) : store_(store) {}

  // Errors of every call: unavailable (I/O, busy, broken schema), with SQLite's message.

  // Providers with at least one unrevoked key, sorted.
  common::Result<std::vector<std::string>> enrolledProviders();
  // provider id -> name, for every provider in the roster.
  common::Result<std::map<std::string, std::string>> providerNames();

  // --- the outbound queue
  // `keyId`: hex id of the city key that signed the envelope (empty: not recorded).
  common::Status queueOutbound(const std::vector<std::string>& providers, const std::string& kind,
                               const std::string& ref, const common::Bytes& envelope,
                               int64_t createdAt, const std::string& keyId = "");
  // Up to `limit` undelivered messages for `provider` never sent or last sent before
  // `resendBefore`, oldest first.
  common::Result<std::vector<QueuedMessage>> dueOutbound(const std::string& provider,
                                                         int64_t resendBefore, int limit);
  common::Status markOutboundSent(const std::vector<int64_t>& ids, int64_t atMs);
  // The newest queue id (0 when the queue was always empty).
  common::Result<int64_t> newestOutboundId();
  // Undelivered messages with afterId < id <= upToId, oldest first.
  common::Result<std::vector<QueuedMessage>> undeliveredOutbound(int64_t afterId, int64_t upToId);
  // Marks the provider's copies of the message `ref` (check or directive id) delivered; with
  // `keyId` (hex) only the copies signed by that city key (or queued without a key).
  common::Status markOutboundDelivered(const std::string& provider, const std::string& ref,
                                       int64_t atMs, const std::string& keyId = "");

  // --- readiness checks
  // The id of the check scheduled for local `date`, if any.
  common::Result<std::optional<std::string>> checkScheduledFor(const std::string& date);
  common::Status insertCheck(const ReadinessCheckRow& check,
                             const std::vector<std::string>& recipients);
  // Inserts the answer, or for a later answer to the same check updates its results and sets
  // the confirmation time if none was set; the first answer's times are kept.
  common::Status recordAnswer(const ReadinessAnswerRow& answer);
  // Checks newest first: only `id` when given, otherwise all.
  common::Result<std::vector<ReadinessCheckRow>> checksNewestFirst(
      const std::optional<std::string>& id);
  // The check's recipients by provider id, each with its answer and its record over its last
  // 30 checks in `mode`.
  common::Result<std::vector<RecipientAnswer>> answersTo(const std::string& checkId,
                                                         const std::string& mode);
  // Checks issued at or before `atMs` whose deadline is after it, newest first.
  common::Result<std::vector<ReadinessCheckRow>> checksOpenAt(int64_t atMs);
  // The check's recipients by provider id with their answers (no record over recent checks).
  common::Result<std::vector<RecipientAnswer>> recipientAnswers(const std::string& checkId);
  // Ids of checks whose deadline is at or before `nowMs` and that have no summary yet.
  common::Result<std::vector<std::string>> checksDueForClosing(int64_t nowMs);
  common::Status closeCheck(const std::string& id, int64_t atMs, const std::string& summary);
  // (id, scheduled_for) of the newest `limit` checks.
  common::Result<std::vector<std::pair<std::string, std::optional<std::string>>>> recentChecks(
      int limit);

  // --- directives
  // The number the next directive takes (1 for the first).
  common::Result<int64_t> nextDirectiveNumber();
  common::Status insertDirective(const DirectiveRow& directive,
                                 const std::vector<std::string>& recipients);
  // Sets the recipient's delivery time (and with `acknowledged` its acknowledgement time, which
  // implies delivery); times already set are kept. `keyId` (hex) names the city key that signed
  // the directive; empty (an ack from an older agent): the directive with this id recorded here
  // first.
  common::Status recordDirectiveAck(const std::string& provider, const std::string& directiveId,
                                    const std::string& keyId, bool acknowledged, int64_t atMs);
  // Directives issued at or before `atMs` that expire after it, newest first, with recipients.
  common::Result<std::vector<DirectiveRow>> directivesInForceAt(int64_t atMs);
  // Directives newest first with their recipients: only those with `id` when given (one per
  // signing city key), otherwise all.
  common::Result<std::vector<DirectiveRow>> directives(const std::optional<std::string>& id);
  // The frame id of the directive the city key `keyId` (hex) signed with this number or id, if
  // any (0 when it has no archived frame).
  common::Result<std::optional<int64_t>> directiveOfKey(const std::string& keyId, int64_t number,
                                                        const std::string& id);
  // Every meta value whose key starts with `prefix`, by the rest of the key.
  common::Result<std::map<std::string, std::string>> metaWithPrefix(const std::string& prefix);

  // --- the archive, for city messages replicated from a peer broker
  // Archived directive acknowledgements received at or after `fromMs`, oldest first (partial
  // index of migration 13): an agent's ack may be pulled before the directive it answers.
  struct ArchivedAck {
    std::string sender;
    common::Bytes envelope;
    int64_t receivedAt = 0;
  };
  common::Result<std::vector<ArchivedAck>> directiveAcksSince(int64_t fromMs);

 private:
  Store& store_;
};

}  // namespace samband::broker
