// CityActions: what the agent does with a verified city message (docs/agent.md, "City
// messages"). A readiness check is answered at once with the self-tests; a directive is judged
// (addressed to us, not expired, newer than every directive applied) and either applied —
// acknowledged as delivered, its readiness level applied and kept — or refused with the reason
// in the inbox and last_error. Answers and acknowledgements go through the outbox, so they
// survive restarts. Installed by `samband-agent run`; holds no state of its own, so one object
// can serve many sessions (the simulator).
#pragma once

#include <cstdint>
#include <string>

#include "agent/city_state.h"
#include "agent/session.h"
#include "common/messages.h"

namespace samband::agent {

// The reason codes of refused city messages, as the first word of InboxEntry::reason.
inline constexpr const char* kRefusedForged = "forged";
inline constexpr const char* kRefusedMalformed = "malformed";
inline constexpr const char* kRefusedNotForUs = "not_for_us";
inline constexpr const char* kRefusedExpired = "expired";
inline constexpr const char* kRefusedReplay = "replay";

struct DirectiveVerdict {
  bool accepted = false;
  std::string reason;  // when refused: "<code>: <one sentence>"
};

// The acceptance rules for a directive that passed the signature check, in order: addressed to
// `provider` (recipients empty or naming it), not expired at `wallNowMs` (agent clock), and a
// number above the highest applied from the same issuing city key, `issuerKeyIdHex`
// (state.appliedBy: no replay, no rollback; each broker numbers its own directives).
DirectiveVerdict judgeDirective(const common::DirectiveMsg& directive, const std::string& provider,
                                int64_t wallNowMs, const CityStateRow& state,
                                const std::string& issuerKeyIdHex);

class CityActions final : public CityMessageHandler {
 public:
  // Called by the session for each newly stored, verified city message.
  void onCityMessage(AgentSession& session, const InboxEntry& entry,
                     const common::Message& message) override;

  // Call once after AgentSession::open: applies the kept readiness level, then handles the
  // entries a previous run stored but did not finish (it stopped between the two).
  void resume(AgentSession& session, int64_t nowMs);

 private:
  void answerCheck(AgentSession& session, const InboxEntry& entry, const common::Message& message,
                   const common::ReadinessCheckMsg& check);
  void applyDirective(AgentSession& session, const InboxEntry& entry,
                      const common::Message& message, const common::DirectiveMsg& directive);
};

}  // namespace samband::agent
