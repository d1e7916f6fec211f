// See metrics_text.h.
#include "broker/metrics/metrics_text.h"

#include <algorithm>
#include <sstream>

#include "common/vocabulary.h"

namespace samband::broker {

namespace {

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void single(std::ostringstream& out, const char* name, const char* type, const char* help,
            uint64_t value) {
  family(out, name, type, help);
  out << name << ' ' << value << '\n';
}

// Milliseconds as seconds in Prometheus' usual spelling: 0.001, 0.01, 0.5, 12.345.
std::string seconds(uint64_t ms) {
  std::string s = std::to_string(ms / 1000);
  uint64_t frac = ms % 1000;
  if (frac == 0) return s;
  std::string digits = std::to_string(1000 + frac).substr(1);  // three digits, leading zeros
  while (digits.back() == '0') digits.pop_back();
  return s + "." + digits;
}

}  // namespace

std::string renderMetrics(const Metrics& m, const std::optional<DatabaseGauges>& db) {
  std::ostringstream out;
  single(out, "samband_frames_received_total", "counter",
         "Frames read from agents, before the gate.", m.framesReceived.load());
  single(out, "samband_frames_accepted_total", "counter",
         "Frames stored in the archive (committed and acknowledged).", m.framesAccepted.load());
  single(out, "samband_frames_duplicate_total", "counter",
         "Frames already stored, re-acknowledged and not stored again.", m.duplicates.load());
  single(out, "samband_heartbeats_total", "counter", "Heartbeats accepted.", m.heartbeats.load());
  single(out, "samband_batch_envelopes_stored_total", "counter",
         "Signed batch envelopes stored (one signature over several reports).",
         m.batchesStored.load());
  family(out, "samband_frames_rejected_total", "counter", "Frames refused, by reason.");
  for (size_t i = 0; i < kRejectReasons; ++i) {
    out << "samband_frames_rejected_total{reason=\""
        << common::rejectReasonName(static_cast<common::RejectReason>(i)) << "\"} "
        << m.rejected[i].load() << '\n';
  }
  single(out, "samband_commit_failures_total", "counter",
         "Batches whose SQLite transaction failed (nothing in them was acknowledged).",
         m.commitFailures.load());
  family(out, "samband_commit_batch_frames", "summary", "Frames per committed batch.");
  out << "samband_commit_batch_frames_sum " << m.batchFrames.load() << '\n'
      << "samband_commit_batch_frames_count " << m.batches.load() << '\n';
  family(out, "samband_commit_latency_seconds", "histogram",
         "Time to commit one batch (SQLite transaction with fsync).");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
    cumulative += m.commitLatency[i].load();
    out << "samband_commit_latency_seconds_bucket{le=\""
        << seconds(static_cast<uint64_t>(kLatencyBucketsMs[i])) << "\"} " << cumulative << '\n';
  }
  cumulative += m.commitLatency[kLatencyBucketsMs.size()].load();
  out << "samband_commit_latency_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n'
      << "samband_commit_latency_seconds_sum " << seconds(m.commitLatencySumMs.load()) << '\n'
      << "samband_commit_latency_seconds_count " << cumulative << '\n';
  const std::string verifyHelp = "Thread CPU time of sampled signature checks (one in " +
                                 std::to_string(kVerifySampleEvery) + " on each thread).";
  family(out, "samband_verify_sample_seconds", "summary", verifyHelp.c_str());
  out << "samband_verify_sample_seconds_sum "
      << static_cast<double>(m.verifySampleNanos.load()) / 1e9 << '\n'
      << "samband_verify_sample_seconds_count " << m.verifySamples.load() << '\n';
  family(out, "samband_connected_agents", "gauge",
         "Open connections on the agent port (one still in its CURVE handshake counts for at most "
         "5 s).");
  out << "samband_connected_agents " << m.connectedAgents.load() << '\n';
  family(out, "samband_handshakes_total", "counter", "CURVE handshakes completed by agents.");
  out << "samband_handshakes_total " << m.handshakes.load() << '\n';
  family(out, "samband_board_sse_clients", "gauge", "Browsers following /api/events now.");
  out << "samband_board_sse_clients " << m.sseClients.load() << '\n';
  if (m.replicationPeers.load() > 0) {
    family(out, "samband_replication_behind_frames", "gauge",
           "Frames this broker holds that its peer broker lacks, as of the peer's last pull "
           "(-1: the peer has not pulled since start).");
    out << "samband_replication_behind_frames " << m.replicationBehindFrames.load() << '\n';
    family(out, "samband_replication_last_contact_seconds", "gauge",
           "Unix time of the peer broker's last pull (0: none since start).");
    out << "samband_replication_last_contact_seconds "
        << seconds(static_cast<uint64_t>(std::max<int64_t>(0, m.replicationLastContactMs.load())))
        << '\n';
    single(out, "samband_replication_pulled_total", "counter",
           "Frames pulled from peer brokers and stored here.", m.replicationPulled.load());
    family(out, "samband_replication_refused_total", "counter",
           "Frames a peer broker served that the gate refused, by reason.");
    for (size_t i = 0; i < kRejectReasons; ++i) {
      out << "samband_replication_refused_total{reason=\""
          << common::rejectReasonName(static_cast<common::RejectReason>(i)) << "\"} "
          << m.replicationRefused[i].load() << '\n';
    }
    family(out, "samband_replication_acks_held", "gauge",
           "Agent acks waiting for the peer broker's commit (ack = \"peer\").");
    out << "samband_replication_acks_held " << m.replicationAcksHeld.load() << '\n';
  }
  if (m.upstreamConfigured.load() > 0) {
    family(out, "samband_upstream_connected", "gauge",
           "1 while the county or national broker pulls from this city broker (a pull within "
           "the relay's hello interval), else 0.");
    out << "samband_upstream_connected " << m.upstreamConnected.load() << '\n';
    single(out, "samband_upstream_frames_relayed_total", "counter",
           "Frames sent upward in answers to the upstream's pulls.",
           m.upstreamFramesRelayed.load());
    family(out, "samband_upstream_behind_frames", "gauge",
           "Frames of this archive beyond the upstream's heads left after the last answer, "
           "counted in seq (frames not relayed upward included; -1: no pull since start).");
    out << "samband_upstream_behind_frames " << m.upstreamBehindFrames.load() << '\n';
    family(out, "samband_upstream_last_pull_seconds", "gauge",
           "Unix time of the upstream's last pull, which acknowledges what it stored (0: none "
           "since start).");
    out << "samband_upstream_last_pull_seconds "
        << seconds(static_cast<uint64_t>(std::max<int64_t>(0, m.upstreamLastPullMs.load())))
        << '\n';
  }
  family(out, "samband_board_database_up", "gauge",
         "1 when the board could read the database for this scrape.");
  out << "samband_board_database_up " << (db ? 1 : 0) << '\n';
  if (db) {
    family(out, "samband_providers", "gauge", "Enrolled providers by liveness.");
    for (const auto& [state, n] : db->providersByLiveness) {
      out << "samband_providers{liveness=\"" << state << "\"} " << n << '\n';
    }
    family(out, "samband_units", "gauge", "School units by state in the real picture.");
    for (const auto& [state, n] : db->unitsByState) {
      out << "samband_units{state=\"" << state << "\"} " << n << '\n';
    }
    family(out, "samband_board_sessions", "gauge", "Board sessions not yet expired.");
    out << "samband_board_sessions " << db->activeSessions << '\n';
    family(out, "samband_archive_frames", "gauge", "Highest frame id in the archive.");
    out << "samband_archive_frames " << db->archivedFrames << '\n';
  }
  return out.str();
}

}  // namespace samband::broker
