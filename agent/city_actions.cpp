// Answering readiness checks and applying directives.
#include "agent/city_actions.h"

#include <algorithm>

#include "agent/city_message.h"
#include "agent/selftest.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::agent {

DirectiveVerdict judgeDirective(const common::DirectiveMsg& d, const std::string& provider,
                                int64_t wallNowMs, const CityStateRow& state,
                                const std::string& issuerKeyIdHex) {
  if (!d.recipients.empty() &&
      std::find(d.recipients.begin(), d.recipients.end(), provider) == d.recipients.end()) {
    return {false, std::string(kRefusedNotForUs) + ": addressed to " +
                       std::to_string(d.recipients.size()) + " other provider(s), not to " +
                       provider};
  }
  if (d.expiresAt < wallNowMs) {
    return {false, std::string(kRefusedExpired) + ": it expired at " +
                       common::formatRfc3339(d.expiresAt) +
                       " (if this server's clock is wrong, fix NTP)"};
  }
  if (const uint64_t applied = state.appliedBy(issuerKeyIdHex); d.number <= applied) {
    return {false, std::string(kRefusedReplay) + ": number " + std::to_string(d.number) +
                       " is not above " + std::to_string(applied) +
                       ", the highest already applied from city key " + issuerKeyIdHex +
                       " (a replay or rollback)"};
  }
  return {true, ""};
}

void CityActions::onCityMessage(AgentSession& session, const InboxEntry& entry,
                                const common::Message& message) {
  if (auto* check = std::get_if<common::ReadinessCheckMsg>(&message.payload)) {
    answerCheck(session, entry, message, *check);
  } else if (auto* directive = std::get_if<common::DirectiveMsg>(&message.payload)) {
    applyDirective(session, entry, message, *directive);
  }
}

void CityActions::answerCheck(AgentSession& session, const InboxEntry& entry,
                              const common::Message& message,
                              const common::ReadinessCheckMsg& check) {
  const std::string& provider = session.config().provider;
  const int64_t wallNow = session.clock().nowMs();
  auto inputs = gatherSelfTestInputs(session, wallNow);
  if (!inputs) {
    common::logWarn("agent", provider + ": cannot run the self-tests for readiness check " +
                                 check.checkId + ": " + inputs.error().message);
    return;  // left unhandled: the next start tries again
  }
  common::ReadinessAnswerMsg answer;
  answer.checkId = check.checkId;
  answer.results = evaluateSelfTests(*inputs, session.config().selfTest);
  answer.confirmed = false;
  answer.receivedAt = entry.receivedAt;
  // Answered in the check's own mode: an exercise check gets an exercise answer.
  auto queued = session.queue({OutboxDraft{message.mode, wallNow, answer}}, common::monotonicMs());
  if (!queued) {
    common::logWarn("agent", provider + ": cannot queue the answer to readiness check " +
                                 check.checkId + ": " + queued.error().message);
    return;
  }
  if (common::Status s = session.inbox().finish(entry.id, "answered", "",
                                                selfTestsToJson(answer.results), wallNow);
      !s) {
    common::logWarn("agent", s.error().message);
  }
  size_t failed = static_cast<size_t>(std::count_if(answer.results.begin(), answer.results.end(),
                                                    [](const auto& t) { return !t.passed; }));
  std::string failedNames;
  for (const auto& t : answer.results) {
    if (!t.passed) failedNames += " " + t.name;
  }
  common::logInfo("agent", provider + ": answered readiness check " + check.checkId + " (" +
                               common::modeName(message.mode) + "): " +
                               (failed == 0 ? "every self-test passed"
                                            : std::to_string(failed) + " failed:" + failedNames));
  if (check.requireConfirmation) {
    common::logWarn("agent", provider + ": readiness check " + check.checkId +
                                 " asks a person to confirm before " +
                                 common::formatRfc3339(check.deadline) +
                                 ": samband-agent confirm " + check.checkId + " --config " +
                                 session.config().configPath);
  }
}

void CityActions::applyDirective(AgentSession& session, const InboxEntry& entry,
                                 const common::Message& message,
                                 const common::DirectiveMsg& directive) {
  const std::string& provider = session.config().provider;
  const int64_t wallNow = session.clock().nowMs();
  CityState cityState(session.database());
  auto state = cityState.read();
  if (!state) {
    common::logWarn("agent", state.error().message);
    return;  // left unhandled: the next start tries again
  }
  const std::string issuer = common::toHex(message.keyId);
  DirectiveVerdict verdict = judgeDirective(directive, provider, wallNow, *state, issuer);
  if (!verdict.accepted) {
    if (common::Status s = session.inbox().finish(entry.id, "refused", verdict.reason, "", wallNow);
        !s) {
      common::logWarn("agent", s.error().message);
    }
    session.setStickyError("refused directive " + directive.directiveId + ": " + verdict.reason,
                           common::monotonicMs());
    common::logWarn(
        "agent", provider + ": refused directive " + directive.directiveId + ": " + verdict.reason);
    return;
  }
  auto queued = session.queue(
      {OutboxDraft{message.mode, wallNow,
                   common::DirectiveAckMsg{directive.directiveId, common::AckKind::DELIVERED,
                                           message.keyId}}},
      common::monotonicMs());
  if (!queued) {
    common::logWarn("agent", provider + ": cannot queue the acknowledgement of directive " +
                                 directive.directiveId + ": " + queued.error().message);
    return;
  }
  // Exercise, system and test directives never change the real level.
  const bool changesLevel =
      message.mode == common::Mode::ACTUAL && directive.level != common::ReadinessLevel::UNCHANGED;
  try {
    SQLite::Transaction tx(session.database(), SQLite::TransactionBehavior::IMMEDIATE);
    if (common::Status s = session.inbox().finish(entry.id, "applied", "", "", wallNow); !s) {
      common::logWarn("agent", s.error().message);
      return;
    }
    if (common::Status s = cityState.recordApplied(
            directive.directiveId, issuer, directive.number,
            changesLevel ? directive.level : common::ReadinessLevel::UNCHANGED);
        !s) {
      common::logWarn("agent", s.error().message);
      return;
    }
    tx.commit();
  } catch (const std::exception& e) {
    common::logWarn("agent", provider + ": cannot record directive " + directive.directiveId +
                                 " as applied: " + e.what());
    return;
  }
  if (changesLevel) session.setLevel(directive.level, common::monotonicMs());
  common::logInfo(
      "agent",
      provider + ": applied directive " + directive.directiveId + " (" +
          common::modeName(message.mode) + ")" +
          (changesLevel ? std::string(": readiness level now ") + common::levelName(directive.level)
                        : std::string()) +
          (directive.requireAck
               ? "; a person must acknowledge it: samband-agent ack " + directive.directiveId +
                     " --config " + session.config().configPath
               : std::string()));
}

void CityActions::resume(AgentSession& session, int64_t nowMs) {
  const std::string& provider = session.config().provider;
  CityState cityState(session.database());
  if (auto state = cityState.read()) {
    session.setLevel(state->level, nowMs);
    if (state->level != common::ReadinessLevel::NORMAL) {
      common::logInfo("agent", provider + ": readiness level " + common::levelName(state->level) +
                                   " (set by directive " + state->levelDirective + ")");
    }
  } else {
    common::logWarn("agent", state.error().message);
  }
  auto pending = session.inbox().unhandled();
  if (!pending) {
    common::logWarn("agent", pending.error().message);
    return;
  }
  for (const auto& entry : *pending) {
    // Verified when stored; verified again in case [broker] city_sign_public changed since.
    auto verified = verifyCityMessage(entry.envelope, session.cityKeys(), session.clock().nowMs());
    if (!verified) {
      (void)session.inbox().finish(entry.id, "refused",
                                   std::string(kRefusedForged) + ": " + verified.error().message,
                                   "", session.clock().nowMs());
      continue;
    }
    onCityMessage(session, entry, verified->message);
  }
}

}  // namespace samband::agent
