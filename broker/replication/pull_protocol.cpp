// See pull_protocol.h.
#include "broker/replication/pull_protocol.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace samband::broker {

namespace {

constexpr size_t kMaxSenderChars = 64;
constexpr size_t kMaxKeyIdChars = 128;

nlohmann::json headsArray(const std::vector<PullHead>& heads) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& h : heads) a.push_back({h.sender, h.keyId, h.seq});
  return a;
}

common::Result<std::vector<PullHead>> readHeads(const nlohmann::json& a) {
  if (!a.is_array()) return common::invalidInput("heads must be an array");
  if (a.size() > kMaxPullHeads) return common::invalidInput("too many heads");
  std::vector<PullHead> out;
  out.reserve(a.size());
  for (const auto& h : a) {
    if (!h.is_array() || h.size() != 3 || !h[0].is_string() || !h[1].is_string() ||
        !h[2].is_number_unsigned()) {
      return common::invalidInput("each head must be [sender, key id, seq]");
    }
    PullHead head{h[0].get<std::string>(), h[1].get<std::string>(), h[2].get<uint64_t>()};
    if (head.sender.empty() || head.sender.size() > kMaxSenderChars || head.keyId.empty() ||
        head.keyId.size() > kMaxKeyIdChars) {
      return common::invalidInput("a head's sender or key id is empty or too long");
    }
    out.push_back(std::move(head));
  }
  return out;
}

}  // namespace

std::string encodePullRequest(const PullRequest& r) {
  nlohmann::json j;
  j["heads"] = headsArray(r.heads);
  j["max_frames"] = r.maxFrames;
  j["wait_ms"] = r.waitMs;
  j["skip"] = nlohmann::json::array();
  for (const auto& [sender, key] : r.skip) j["skip"].push_back({sender, key});
  return j.dump();
}

common::Result<PullRequest> decodePullRequest(const std::string& text) {
  if (text.size() > kMaxPullRequestBytes) return common::invalidInput("pull request too large");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return common::invalidInput("pull request is not a JSON object");
  }
  PullRequest r;
  auto heads = readHeads(j.contains("heads") ? j["heads"] : nlohmann::json());
  if (!heads) return heads.error();
  r.heads = std::move(heads).value();
  if (!j.contains("max_frames") || !j["max_frames"].is_number_unsigned()) {
    return common::invalidInput("max_frames must be a positive integer");
  }
  r.maxFrames = std::clamp<size_t>(j["max_frames"].get<size_t>(), 1, kMaxPullBatch);
  if (!j.contains("wait_ms") || !j["wait_ms"].is_number_integer()) {
    return common::invalidInput("wait_ms must be an integer");
  }
  r.waitMs = std::clamp<int64_t>(j["wait_ms"].get<int64_t>(), 0, kMaxPullWaitMs);
  if (j.contains("skip")) {
    const auto& skip = j["skip"];
    if (!skip.is_array() || skip.size() > kMaxPullHeads) {
      return common::invalidInput("skip must be an array of [sender, key id]");
    }
    for (const auto& c : skip) {
      if (!c.is_array() || c.size() != 2 || !c[0].is_string() || !c[1].is_string()) {
        return common::invalidInput("skip must be an array of [sender, key id]");
      }
      r.skip.emplace_back(c[0].get<std::string>(), c[1].get<std::string>());
    }
  }
  return r;
}

std::string encodeAnswerMeta(uint64_t remaining, const std::vector<std::string>& passwordHashes) {
  nlohmann::json j;
  j["remaining"] = remaining;
  if (!passwordHashes.empty()) j["password_hashes"] = passwordHashes;
  return j.dump();
}

namespace {
constexpr size_t kMaxAnswerMetaBytes = 4096 + kMaxAnswerHashes * (kMaxPasswordHashBytes + 8);
}  // namespace

common::Result<std::vector<std::string>> decodeAnswerHashes(const std::string& text) {
  if (text.size() > kMaxAnswerMetaBytes) return common::invalidInput("answer header too large");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return common::invalidInput("answer header not JSON");
  std::vector<std::string> out;
  if (!j.contains("password_hashes")) return out;
  const auto& h = j["password_hashes"];
  if (!h.is_array() || h.size() > kMaxAnswerHashes) {
    return common::invalidInput("password_hashes must be a list of at most 256 strings");
  }
  for (const auto& e : h) {
    if (!e.is_string() || e.get<std::string>().empty() ||
        e.get<std::string>().size() > kMaxPasswordHashBytes) {
      return common::invalidInput("password_hashes holds something other than a hash string");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

common::Result<uint64_t> decodeAnswerMeta(const std::string& text) {
  if (text.size() > kMaxAnswerMetaBytes) return common::invalidInput("answer header too large");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("remaining") ||
      !j["remaining"].is_number_unsigned()) {
    return common::invalidInput("answer header must be {\"remaining\": N}");
  }
  return j["remaining"].get<uint64_t>();
}

std::string headsJson(const std::vector<PullHead>& heads) { return headsArray(heads).dump(); }

common::Result<std::vector<PullHead>> parseHeadsJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return common::invalidInput("heads are not JSON");
  return readHeads(j);
}

}  // namespace samband::broker
