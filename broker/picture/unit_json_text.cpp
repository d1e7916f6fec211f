// See unit_json_text.h.
#include "broker/picture/unit_json_text.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

// Whether `s` is valid UTF-8 (what nlohmann::json's dump() insists on).
bool isUtf8(const std::string& s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and anything beyond U+10FFFF are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

int formOrder(const std::string& form) {
  common::SchoolForm f{};
  return common::parseSchoolForm(form, &f) ? static_cast<int>(f) : 1000;
}

}  // namespace

void JsonText::string(const std::string& s) {
  bool plain = true;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain && isUtf8(s)) {
    out_ += '"';
    out_ += s;
    out_ += '"';
  } else {
    out_ += nlohmann::json(s).dump();  // escapes, and refuses invalid UTF-8 as before
  }
}

void JsonText::textOrNull(const std::optional<std::string>& s) {
  if (s) {
    string(*s);
  } else {
    out_ += "null";
  }
}

void JsonText::number(double d) { out_ += nlohmann::json(d).dump(); }

void JsonText::countOrNull(int64_t n) {
  if (n < 0) {
    out_ += "null";
  } else {
    number(n);
  }
}

void JsonText::time(int64_t ms) { string(common::formatRfc3339(ms)); }

void unitForms(const UnitPictureRow& u,
               const std::map<std::string, std::set<std::string>>& extraForms,
               std::set<std::string>& formSet, std::vector<std::string>* forms) {
  formSet.clear();
  size_t start = 0;
  const std::string& classes = u.schoolForms;
  while (start <= classes.size() && !classes.empty()) {
    size_t end = classes.find(';', start);
    if (end == std::string::npos) end = classes.size();
    const std::string item = classes.substr(start, end - start);
    std::string form = item.substr(0, item.find(':'));
    if (!form.empty()) formSet.insert(form);
    start = end + 1;
  }
  if (auto e = extraForms.find(u.code); e != extraForms.end()) {
    formSet.insert(e->second.begin(), e->second.end());
  }
  forms->assign(formSet.begin(), formSet.end());
  std::stable_sort(forms->begin(), forms->end(), [](const std::string& a, const std::string& b) {
    return formOrder(a) < formOrder(b);
  });
}

UnitFragment makeUnitFragment(const UnitPictureRow& u, const ProviderRow& provider,
                              const std::vector<std::string>& forms) {
  UnitFragment f;
  const bool reported = u.status.has_value();
  static const UnitStatusRow kNone{};
  const UnitStatusRow& s = reported ? *u.status : kNone;
  f.reported = reported;
  f.sentAt = s.sentAt;
  f.validUntil = s.validUntil;
  f.text.reserve(1024);
  JsonText out(f.text);
  auto textOr = [&](const std::string& v, const char* otherwise) {
    out.string(reported ? v : std::string(otherwise));
  };
  auto nullUnless = [&](bool has) {
    if (!has) out.raw("null");
    return has;
  };
  // Keys in dump()'s order; the holes are where writeUnitFragment writes.
  out.raw("{");
  f.holes[0] = f.text.size();  // age_s, age_school_hours, age_school_s
  out.field("backup_hours");
  if (nullUnless(reported)) out.countOrNull(s.backupHours);
  out.field("closed_until");
  if (nullUnless(reported && !s.closedUntil.empty())) out.string(s.closedUntil);
  out.field("code");
  out.string(u.code);
  out.field("critical_care");
  textOr(s.criticalCare, "unknown");
  out.field("district");
  out.textOrNull(u.district);
  out.field("electricity");
  textOr(s.electricity, "unknown");
  out.field("expected_reopen");
  if (nullUnless(reported && s.expectedReopen > 0)) out.time(s.expectedReopen);
  out.field("expired");
  f.holes[1] = f.text.size();
  out.field("food_days");
  if (nullUnless(reported)) out.countOrNull(s.foodDays);
  out.field("liveness");
  f.holes[2] = f.text.size();
  out.field("name");
  out.textOrNull(u.name);
  out.field("note");
  out.string(reported ? s.note : std::string());
  out.field("old");
  f.holes[3] = f.text.size();
  out.field("operational");
  out.string(reported ? s.operational : std::string("unknown"));
  out.field("provider_id");
  out.string(provider.id);
  out.field("provider_name");
  out.string(provider.name);
  out.field("pupils_enrolled");
  if (nullUnless(reported)) out.countOrNull(s.pupilsEnrolled);
  out.field("pupils_present");
  if (nullUnless(reported)) out.countOrNull(s.pupilsPresent);
  out.field("reason");
  textOr(s.reason, "");
  out.field("received_at");
  if (nullUnless(reported)) out.time(s.receivedAt);
  out.field("reported_at");
  if (nullUnless(reported)) out.time(s.sentAt);
  out.field("resources");
  out.raw("{");
  out.key("food");
  textOr(s.food, "unknown");
  out.field("heating");
  textOr(s.heating, "unknown");
  out.field("it");
  textOr(s.it, "unknown");
  out.field("telephony");
  textOr(s.telephony, "unknown");
  out.field("water");
  textOr(s.water, "unknown");
  out.raw("}");
  out.field("school_forms");
  out.raw("[");
  for (size_t i = 0; i < forms.size(); ++i) {
    if (i > 0) out.raw(",");
    out.string(forms[i]);
  }
  out.raw("]");
  out.field("special_support");
  textOr(s.specialSupport, "unknown");
  out.field("staff_available");
  if (nullUnless(reported)) out.countOrNull(s.staffAvailable);
  out.field("staff_total");
  if (nullUnless(reported)) out.countOrNull(s.staffTotal);
  out.field("valid_until");
  if (nullUnless(reported && s.validUntil > 0)) out.time(s.validUntil);
  out.field("whatif_failing");
  f.holes[4] = f.text.size();
  out.raw("}");
  return f;
}

bool writeUnitFragment(JsonText& out, const UnitFragment& f, const char* liveness,
                       bool whatIfFailing, const UnitJsonContext& context) {
  const int64_t nowMs = context.nowMs;
  const bool reported = f.reported;
  const int64_t schoolAgeMs = reported ? context.ageRule->ageMs(f.sentAt, nowMs) : 0;
  const bool expired = reported && f.validUntil > 0 && f.validUntil < nowMs;
  const bool old = reported && (expired || schoolAgeMs > context.reportOldAfterMs);
  const char* t = f.text.data();
  const auto& h = f.holes;
  out.raw(t, h[0]);
  out.key("age_s");
  if (reported) {
    out.number(std::max<int64_t>(0, nowMs - f.sentAt) / 1000);
  } else {
    out.raw("null");
  }
  out.field("age_school_hours");
  if (reported) {
    out.number(static_cast<double>(schoolAgeMs / 360'000) / 10.0);
  } else {
    out.raw("null");
  }
  out.field("age_school_s");
  if (reported) {
    out.number(schoolAgeMs / 1000);
  } else {
    out.raw("null");
  }
  out.raw(t + h[0], h[1] - h[0]);
  out.boolean(expired);
  out.raw(t + h[1], h[2] - h[1]);
  out.string(liveness);
  out.raw(t + h[2], h[3] - h[2]);
  out.boolean(old);
  out.raw(t + h[3], h[4] - h[3]);
  out.boolean(whatIfFailing);
  out.raw(t + h[4], f.text.size() - h[4]);
  return old;
}

}  // namespace samband::broker
