// See office_metrics.h.
#include "broker/metrics/office_metrics.h"

#include <sstream>

namespace samband::broker {

namespace {

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// Milliseconds since the epoch as Prometheus' seconds.
std::string epochSeconds(int64_t ms) {
  std::ostringstream s;
  s << ms / 1000;
  if (ms % 1000 != 0) {
    const std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    s << '.' << frac;
  }
  return s.str();
}

}  // namespace

std::string renderOfficeMetrics(const OfficeGauges& g) {
  std::ostringstream out;
  family(out, "samband_units_report_overdue", "gauge",
         "Units without an actual report within the calendar's allowance, by reason (old, "
         "expired, never_reported).");
  for (const char* reason : {"old", "expired", "never_reported"}) {
    auto it = g.unitsReportOverdue.find(reason);
    out << "samband_units_report_overdue{reason=\"" << reason << "\"} "
        << (it == g.unitsReportOverdue.end() ? 0 : it->second) << '\n';
  }
  family(out, "samband_report_allowance_seconds", "gauge",
         "How old a unit's report may be before it is old ([board] report_old_after_s).");
  out << "samband_report_allowance_seconds " << g.reportAllowanceS << '\n';
  family(out, "samband_report_allowance_school_time", "gauge",
         "1 while the allowance counts school time (normal level), 0 when all time counts.");
  out << "samband_report_allowance_school_time " << (g.schoolTime ? 1 : 0) << '\n';

  family(out, "samband_readiness_latest_providers", "gauge",
         "Providers of the newest readiness check by outcome (answered in time, late, pending "
         "before the deadline, missing after it).");
  if (g.readiness) {
    for (const char* outcome : {"answered", "late", "pending", "missing"}) {
      auto it = g.readiness->providersByOutcome.find(outcome);
      out << "samband_readiness_latest_providers{mode=\"" << g.readiness->mode << "\",outcome=\""
          << outcome << "\"} " << (it == g.readiness->providersByOutcome.end() ? 0 : it->second)
          << '\n';
    }
    family(out, "samband_readiness_latest_failed_self_tests", "gauge",
           "Answers to the newest readiness check with at least one failed self-test.");
    out << "samband_readiness_latest_failed_self_tests{mode=\"" << g.readiness->mode << "\"} "
        << g.readiness->failedSelfTests << '\n';
    family(out, "samband_readiness_latest_unconfirmed", "gauge",
           "Answers to the newest readiness check still awaiting a person's confirmation.");
    out << "samband_readiness_latest_unconfirmed{mode=\"" << g.readiness->mode << "\"} "
        << g.readiness->unconfirmed << '\n';
    family(out, "samband_readiness_latest_issued_timestamp_seconds", "gauge",
           "When the newest readiness check was issued (Unix time).");
    out << "samband_readiness_latest_issued_timestamp_seconds{mode=\"" << g.readiness->mode
        << "\"} " << epochSeconds(g.readiness->issuedAtMs) << '\n';
    family(out, "samband_readiness_latest_deadline_timestamp_seconds", "gauge",
           "The newest readiness check's deadline (Unix time).");
    out << "samband_readiness_latest_deadline_timestamp_seconds{mode=\"" << g.readiness->mode
        << "\"} " << epochSeconds(g.readiness->deadlineMs) << '\n';
  }

  int64_t waiting = 0;
  for (const auto& d : g.openDirectives) {
    if (d.requireAck && d.unacknowledged > 0) ++waiting;
  }
  family(out, "samband_directives_open", "gauge", "Actual directives not yet expired.");
  out << "samband_directives_open " << g.openDirectives.size() << '\n';
  family(out, "samband_directives_unacknowledged", "gauge",
         "Open directives that require acknowledgement and that some recipient has not "
         "acknowledged.");
  out << "samband_directives_unacknowledged " << waiting << '\n';
  family(out, "samband_directive_recipients_unacknowledged", "gauge",
         "Recipients of an open directive requiring acknowledgement that have not acknowledged "
         "it, by directive.");
  for (const auto& d : g.openDirectives) {
    if (!d.requireAck) continue;
    out << "samband_directive_recipients_unacknowledged{directive=\"" << d.id << "\"} "
        << d.unacknowledged << '\n';
  }
  family(out, "samband_directive_recipients_undelivered", "gauge",
         "Recipients an open directive has not been delivered to yet, by directive.");
  for (const auto& d : g.openDirectives) {
    out << "samband_directive_recipients_undelivered{directive=\"" << d.id << "\"} "
        << d.undelivered << '\n';
  }

  family(out, "samband_providers_clock_offset", "gauge",
         "Providers by the size of their clock's measured offset from the broker's (either "
         "way); over_2min is flagged on the board.");
  for (const char* range : {"under_1s", "1s_to_5s", "5s_to_2min", "over_2min", "unmeasured"}) {
    auto it = g.providersByClockOffset.find(range);
    out << "samband_providers_clock_offset{range=\"" << range << "\"} "
        << (it == g.providersByClockOffset.end() ? 0 : it->second) << '\n';
  }
  family(out, "samband_provider_clock_offset_max_abs_seconds", "gauge",
         "The largest measured clock offset of any provider, either way.");
  out << "samband_provider_clock_offset_max_abs_seconds " << g.clockOffsetMaxAbsS << '\n';

  family(out, "samband_checkpoint_latest_number", "gauge",
         "Number of the newest signed checkpoint (0: none yet).");
  out << "samband_checkpoint_latest_number " << g.checkpoints.latestNumber << '\n';
  family(out, "samband_checkpoint_latest_timestamp_seconds", "gauge",
         "When the newest checkpoint was signed (Unix time; 0: none yet).");
  out << "samband_checkpoint_latest_timestamp_seconds "
      << epochSeconds(g.checkpoints.latestSignedAtMs) << '\n';
  family(out, "samband_checkpoint_frames_behind", "gauge",
         "Archived frames not yet covered by a signed checkpoint (0 after every commit).");
  out << "samband_checkpoint_frames_behind " << g.checkpoints.framesBehind << '\n';
  if (g.checkpoints.latestSignatureValid) {
    family(out, "samband_checkpoint_latest_signature_valid", "gauge",
           "1 when the newest checkpoint's signature verifies under the city key in the "
           "database; 0 means the archive or the key was altered: run samband-broker audit.");
    out << "samband_checkpoint_latest_signature_valid "
        << (*g.checkpoints.latestSignatureValid ? 1 : 0) << '\n';
  }
  return out.str();
}

}  // namespace samband::broker
