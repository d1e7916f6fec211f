// Turning report flags into wire bodies, with a clear refusal for every bad value.
#include "agent/report_request.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "agent/time_input.h"
#include "common/codec.h"
#include "common/school_calendar.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

using common::Result;
using common::Status;

Status checkCount(const std::optional<int64_t>& v, const char* flag, int64_t max) {
  if (v && *v != kUnknownCount && (*v < 0 || *v > max)) {
    return common::invalidInput(std::string(flag) + " must be a whole number from 0 to " +
                                std::to_string(max) + " (it is " + std::to_string(*v) + ")");
  }
  return {};
}

Status checkText(const std::optional<std::string>& v, const char* flag, size_t max) {
  if (v && (v->size() > max || !common::isCleanText(*v))) {
    return common::invalidInput(std::string(flag) + " must be plain text of at most " +
                                std::to_string(max) + " bytes");
  }
  return {};
}

template <typename E>
Status parseEnum(const std::optional<std::string>& v, const char* flag,
                 bool (*parse)(const std::string&, E*), const char* accepted, E* out) {
  if (!v) return {};
  if (!parse(*v, out)) {
    return common::invalidInput(std::string(flag) + " '" + *v + "' is not one of: " + accepted);
  }
  return {};
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

bool parseNumber(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

Result<common::CapacityEntryMsg> parseCapacity(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return common::invalidInput("--capacity '" + text + "': " + why +
                                "; write FORM:YEAR:ENROLLED:NOW:72H, e.g. grundskola:4:52:3:6 "
                                "(forms: forskola, forskoleklass, grundskola, gymnasieskola, "
                                "fritidshem, anpassad_grundskola, anpassad_gymnasieskola)");
  };
  auto parts = split(text, ':');
  if (parts.size() != 5) return bad("it needs five parts separated by ':'");
  common::CapacityEntryMsg e;
  if (!common::parseSchoolForm(parts[0], &e.form)) return bad("unknown school form");
  int64_t year, enrolled, now, in72h;
  if (!parseNumber(parts[1], &year) || year > 13) return bad("YEAR must be 0 to 13");
  if (!parseNumber(parts[2], &enrolled) || enrolled > 100000) {
    return bad("ENROLLED must be 0 to 100000");
  }
  if (!parseNumber(parts[3], &now) || now > 100000) return bad("NOW must be 0 to 100000");
  if (!parseNumber(parts[4], &in72h) || in72h > 100000) return bad("72H must be 0 to 100000");
  e.year = static_cast<uint8_t>(year);
  e.enrolled = static_cast<int32_t>(enrolled);
  e.seatsNow = static_cast<int32_t>(now);
  e.seats72h = static_cast<int32_t>(in72h);
  return e;
}

std::string unitList(const AgentConfig& config) {
  std::string out;
  for (size_t i = 0; i < config.units.size(); ++i) out += (i ? ", " : "") + config.units[i];
  return out;
}

bool hasStatusField(const ReportRequest& r) {
  return r.reason || r.expectedReopen || r.pupilsEnrolled || r.pupilsPresent || r.staffTotal ||
         r.staffAvailable || r.criticalCare || r.specialSupport || r.electricity || r.backupHours ||
         r.heating || r.water || r.food || r.it || r.telephony || r.foodDays || r.validUntil ||
         r.closedUntil || r.clearReason || r.clearNote || r.clearExpectedReopen ||
         r.clearValidUntil || r.clearClosedUntil;
}

constexpr const char* kSupplies = "ok, degraded, down, unknown";

// The flag a person typed for a wire field findPersonalData() names.
std::string flagOf(const char* field) {
  const std::string f = field;
  if (f == "unit_status.reason") return "--reason";
  if (f == "unit_status.note") return "--note";
  if (f == "continuity.note") return "the continuity note";
  return f;
}

}  // namespace

Result<std::vector<OutboxDraft>> buildReportDrafts(const ReportRequest& r,
                                                   const AgentConfig& config, int64_t nowMs,
                                                   const LastReport& last) {
  common::Mode mode;
  if (!common::parseMode(r.mode, &mode)) {
    return common::invalidInput("--mode '" + r.mode +
                                "' is not one of: actual, exercise, "
                                "system, test");
  }
  // A note alone belongs to the unit status, unless the report is a continuity report.
  bool wantsStatus = r.operational.has_value() || hasStatusField(r) ||
                     (r.note.has_value() && !r.continuity.has_value() && !r.unit.empty());
  if (wantsStatus && !r.operational && !last.status) {
    return common::invalidInput(
        "a unit status needs --operational (normal, reduced, remote, "
        "closed, relocated or unknown) besides the other status flags: this unit has no "
        "earlier status in this mode to carry forward");
  }
  bool wantsCapacity = !r.capacity.empty();
  bool wantsContinuity = r.continuity.has_value();
  if (!wantsStatus && !wantsCapacity && !wantsContinuity) {
    return common::invalidInput(
        "nothing to report: give --operational (a unit status), "
        "--capacity or --continuity");
  }
  if (r.continuityFrom && !wantsContinuity) {
    return common::invalidInput("--continuity-from needs --continuity");
  }
  if (r.note && !wantsStatus && !wantsContinuity) {
    return common::invalidInput("--note belongs to a unit status or a continuity report");
  }
  if (wantsStatus || wantsCapacity || !r.unit.empty()) {
    if (r.unit.empty()) {
      return common::invalidInput(
          "--unit is required for a unit status or capacity: give one "
          "of this agent's units (" +
          unitList(config) + ")");
    }
    if (!config.ownsUnit(r.unit)) {
      return common::invalidInput(
          "unit '" + r.unit + "' is not one of this agent's units (" + unitList(config) + ") in " +
          (config.configPath.empty() ? "agent.toml" : config.configPath) +
          "; report on a listed unit, or have the city add it to the roster and add it to "
          "[agent] units");
    }
  }

  std::vector<OutboxDraft> drafts;
  if (wantsStatus) {
    // Start from the last status: the flags change only what they name.
    common::UnitStatusMsg s = last.status.value_or(common::UnitStatusMsg{});
    s.unitCode = r.unit;
    if (s.validUntil != 0 && s.validUntil <= nowMs) s.validUntil = 0;
    if (Status st =
            parseEnum(r.operational, "--operational", common::parseOperational,
                      "normal, reduced, remote, closed, relocated, unknown", &s.operational);
        !st) {
      return st.error();
    }
    for (const auto& [v, flag, max] :
         {std::tuple{&r.pupilsEnrolled, "--pupils-enrolled", int64_t{100000}},
          std::tuple{&r.pupilsPresent, "--pupils-present", int64_t{100000}},
          std::tuple{&r.staffTotal, "--staff-total", int64_t{10000}},
          std::tuple{&r.staffAvailable, "--staff-available", int64_t{10000}},
          std::tuple{&r.backupHours, "--backup-hours", int64_t{100000}},
          std::tuple{&r.foodDays, "--food-days", int64_t{3650}}}) {
      if (Status st = checkCount(*v, flag, max); !st) return st.error();
    }
    if (Status st = checkText(r.reason, "--reason", common::kMaxShortText); !st) return st.error();
    if (Status st = checkText(r.note, "--note", common::kMaxNoteText); !st) return st.error();
    if (Status st = parseEnum(r.criticalCare, "--critical-care", common::parseOffered,
                              "yes, no, unknown", &s.criticalCare);
        !st) {
      return st.error();
    }
    if (Status st = parseEnum(r.specialSupport, "--special-support", common::parseOffered,
                              "yes, no, unknown", &s.specialSupport);
        !st) {
      return st.error();
    }
    if (Status st = parseEnum(r.electricity, "--electricity", common::parseElectricity,
                              "grid, backup, none, unknown", &s.electricity);
        !st) {
      return st.error();
    }
    for (const auto& [v, flag, out] :
         {std::tuple{&r.heating, "--heating", &s.heating},
          std::tuple{&r.water, "--water", &s.water}, std::tuple{&r.food, "--food", &s.food},
          std::tuple{&r.it, "--it", &s.it},
          std::tuple{&r.telephony, "--telephony", &s.telephony}}) {
      if (Status st = parseEnum(*v, flag, common::parseSupply, kSupplies, out); !st) {
        return st.error();
      }
    }
    if (r.clearExpectedReopen) s.expectedReopen = 0;
    if (r.clearValidUntil) s.validUntil = 0;
    if (r.expectedReopen) {
      auto t = parseTimeInput(*r.expectedReopen, "--expected-reopen");
      if (!t) return t.error();
      s.expectedReopen = *t;
    }
    if (r.validUntil) {
      auto t = parseTimeInput(*r.validUntil, "--valid-until");
      if (!t) return t.error();
      if (*t <= nowMs) {
        return common::invalidInput("--valid-until '" + *r.validUntil +
                                    "' is in the past; give a later time, or leave it out "
                                    "(valid until the next report)");
      }
      s.validUntil = *t;
    }
    // closed_until belongs to a closed unit and names a day not yet over (local calendar).
    const common::CivilDate today = common::localDateOf(nowMs);
    if (r.clearClosedUntil) s.closedUntil.clear();
    if (!s.closedUntil.empty()) {
      auto carried = common::parseCivilDate(s.closedUntil, "closed_until");
      if (!carried || *carried < today || s.operational != common::OperationalState::CLOSED) {
        s.closedUntil.clear();
      }
    }
    if (r.closedUntil) {
      auto day = common::parseCivilDate(*r.closedUntil, "--closed-until");
      if (!day) return day.error();
      if (*day < today) {
        return common::invalidInput("--closed-until '" + *r.closedUntil +
                                    "' is in the past; give the last day the unit stays closed "
                                    "(today or later), or leave it out");
      }
      if (day->year > 2199) {
        return common::invalidInput("--closed-until '" + *r.closedUntil +
                                    "' is too far ahead; give the last day the unit stays closed");
      }
      if (s.operational != common::OperationalState::CLOSED) {
        return common::invalidInput(
            "--closed-until is for a closed unit: give --operational "
            "closed with it (the unit's status is " +
            std::string(common::operationalName(s.operational)) + ")");
      }
      s.closedUntil = common::formatCivilDate(*day);
    }
    auto count = [](const std::optional<int64_t>& v, int32_t* out) {
      if (v) *out = *v == kUnknownCount ? int32_t{-1} : static_cast<int32_t>(*v);
    };
    count(r.pupilsEnrolled, &s.pupilsEnrolled);
    count(r.pupilsPresent, &s.pupilsPresent);
    count(r.staffTotal, &s.staffTotal);
    count(r.staffAvailable, &s.staffAvailable);
    count(r.backupHours, &s.backupHours);
    count(r.foodDays, &s.foodDays);
    if (r.clearReason) s.reason.clear();
    if (r.reason) s.reason = *r.reason;
    if (r.clearNote) s.note.clear();
    if (r.note) s.note = *r.note;
    // Checked on the merged snapshot: a count given now may meet one carried forward.
    auto origin = [](const std::optional<int64_t>& given) {
      return given ? std::string("") : std::string(" in the last report");
    };
    if (s.pupilsEnrolled >= 0 && s.pupilsPresent > s.pupilsEnrolled) {
      return common::invalidInput("--pupils-present (" + std::to_string(s.pupilsPresent) +
                                  origin(r.pupilsPresent) + ") cannot exceed --pupils-enrolled (" +
                                  std::to_string(s.pupilsEnrolled) + origin(r.pupilsEnrolled) +
                                  "); give both");
    }
    if (s.staffTotal >= 0 && s.staffAvailable > s.staffTotal) {
      return common::invalidInput("--staff-available (" + std::to_string(s.staffAvailable) +
                                  origin(r.staffAvailable) + ") cannot exceed --staff-total (" +
                                  std::to_string(s.staffTotal) + origin(r.staffTotal) +
                                  "); give both");
    }
    drafts.push_back({mode, nowMs, std::move(s)});
  }

  if (wantsCapacity) {
    // Start from the last capacity: each entry given replaces its (form, year) row or adds one.
    common::CapacityMsg c = last.capacity.value_or(common::CapacityMsg{});
    c.unitCode = r.unit;
    if (r.capacity.size() > common::kMaxCapacityEntries) {
      return common::invalidInput("at most " + std::to_string(common::kMaxCapacityEntries) +
                                  " --capacity entries per report");
    }
    std::set<std::pair<int, int>> seen;
    for (const auto& text : r.capacity) {
      auto e = parseCapacity(text);
      if (!e) return e.error();
      if (!seen.insert({static_cast<int>(e->form), e->year}).second) {
        return common::invalidInput("--capacity '" + text +
                                    "' repeats a school form and year given before");
      }
      auto same = std::find_if(c.entries.begin(), c.entries.end(), [&](const auto& kept) {
        return kept.form == e->form && kept.year == e->year;
      });
      if (same != c.entries.end()) {
        *same = *e;
      } else {
        c.entries.push_back(*e);
      }
    }
    if (c.entries.size() > common::kMaxCapacityEntries) {
      return common::invalidInput(
          "with the rows kept from the last capacity report this unit would have " +
          std::to_string(c.entries.size()) + " capacity rows; at most " +
          std::to_string(common::kMaxCapacityEntries) + " are allowed");
    }
    drafts.push_back({mode, nowMs, std::move(c)});
  }

  if (wantsContinuity) {
    common::ContinuityMsg c;
    if (Status st = parseEnum(r.continuity, "--continuity", common::parseContinuity,
                              "ok, at_risk, cannot_continue", &c.state);
        !st) {
      return st.error();
    }
    if (r.continuityFrom) {
      auto t = parseTimeInput(*r.continuityFrom, "--continuity-from");
      if (!t) return t.error();
      c.fromDate = *t;
    }
    std::optional<std::string> note = r.continuityNote;
    if (!note && !wantsStatus) note = r.note;
    if (Status st = checkText(note, "--continuity-note", common::kMaxNoteText); !st) {
      return st.error();
    }
    c.note = note.value_or("");
    drafts.push_back({mode, nowMs, std::move(c)});
  }
  for (const auto& d : drafts) {
    if (auto found = common::findPersonalData(d.payload)) {
      return common::invalidInput(
          flagOf(found->field) + " holds what looks like a personal identity number (" +
          found->number + "); reports carry counts and states only: remove it");
    }
  }
  return drafts;
}

}  // namespace samband::agent
