// The session's texts for the person on duty (see session_messages.h).
#include "agent/session_messages.h"

#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::agent {

std::string enrollRequestPath(const AgentConfig& c) {
  // init and setup write it beside the identity (in the packaged layout: /var/lib/samband).
  auto slash = c.identityPath.find_last_of('/');
  if (slash == std::string::npos) return configDir(c) + "/enroll-request.json";
  return c.identityPath.substr(0, slash == 0 ? 1 : slash) + "/enroll-request.json";
}

std::string configDir(const AgentConfig& c) {
  auto slash = c.configPath.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return c.configPath.substr(0, slash == 0 ? 1 : slash);
}

std::string linkFailureMessage(const AgentConfig& config, LinkFailure failure) {
  return linkFailureMessage(config, config.endpoint, failure);
}

std::string linkFailureMessage(const AgentConfig& config, const std::string& endpoint,
                               LinkFailure failure) {
  const bool several = config.brokerList().size() > 1;
  switch (failure) {
    case LinkFailure::handshakeRefused:
      return (several ? "the broker at " + endpoint +
                            " refused this agent's key: it is not enrolled there or was revoked"
                      : std::string("the broker refused this agent's key: it is not enrolled or "
                                    "was revoked")) +
             "; ask the city to run samband-broker enroll with " + enrollRequestPath(config);
    case LinkFailure::handshakeFailed:
      return "no CURVE handshake with the broker at " + endpoint +
             (several ? ": check that broker's key in [broker] brokers (or city_curve_public) in "
                        "agent.toml and that the broker is running"
                      : ": check [broker] city_curve_public in agent.toml and that the broker is "
                        "running");
    case LinkFailure::unreachable:
      return "cannot reach the broker at " + endpoint +
             (several ? ": check [broker] brokers in agent.toml, the network, and that the "
                        "broker is running"
                      : ": check [broker] endpoint in agent.toml, the network, and that the "
                        "broker is running");
    case LinkFailure::lost:
      return "lost the connection to the broker at " + endpoint + "; reconnecting";
  }
  return "lost the connection to the broker at " + endpoint + "; reconnecting";
}

std::string deadLetterAdvice(const AgentConfig& config, common::RejectReason reason) {
  if (reason == common::RejectReason::UNIT_NOT_OWNED) {
    return "the city's roster does not list that unit for provider " + config.provider +
           "; check [agent] units in agent.toml with the city";
  }
  if (reason == common::RejectReason::FORBIDDEN) {
    return "agents may not send that kind of message; report this as a bug";
  }
  if (reason == common::RejectReason::CLOCK_SKEW) {
    return "this server's clock was more than 30 days off when the report was signed; fix time "
           "synchronisation (timedatectl, chrony) and report again";
  }
  if (reason == common::RejectReason::PERSONAL_DATA) {
    return "its text holds a personal identity number; reports carry counts and states only: "
           "report again without it";
  }
  return "the broker could not read it; update samband-agent to the broker's version";
}

std::string refusalMessage(const AgentConfig& config, const common::Bytes& keyId,
                           const common::RejectMsg& r) {
  switch (r.reason) {
    case common::RejectReason::BAD_SIGNATURE:
      return "the broker says this agent's signatures do not verify: agent.identity is not the "
             "key the city enrolled; restore the enrolled identity from backup, or ask the city "
             "to enroll this one (" +
             enrollRequestPath(config) + ")";
    case common::RejectReason::UNKNOWN_SENDER:
      return "the broker does not know this agent's signing key (key id " + common::toHex(keyId) +
             "); ask the city to run samband-broker "
             "enroll with " +
             enrollRequestPath(config);
    case common::RejectReason::KEY_MISMATCH:
      return "the broker says this agent's signing key does not belong to the provider whose "
             "transport key opened the connection; agent.identity is inconsistent with the "
             "enrollment: restore it from backup or enroll again";
    case common::RejectReason::REVOKED:
      return "the city revoked this agent's key; create a new identity (samband-agent init in a "
             "new directory) and have it enrolled; pending reports stay in the outbox";
    case common::RejectReason::OVERLOADED:
      return "the broker is overloaded; the agent resends after [link] ack_timeout_ms";
    default:
      break;
  }
  const std::string detail = r.detail.empty() ? "" : " (" + r.detail + ")";
  return "the broker refused seq " + std::to_string(r.seq) + " (" +
         common::rejectReasonName(r.reason) + detail +
         "); the agent resends after [link] ack_timeout_ms; tell the city if it persists";
}

}  // namespace samband::agent
