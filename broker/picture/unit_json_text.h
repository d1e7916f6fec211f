// The JSON text of the board's big answers written straight from the database rows, byte for
// byte what nlohmann::json's dump() makes of the same tree (keys in its sorted order, its number
// and string formatting): JsonText, and one unit of the picture as GET /api/picture and
// GET /api/units carry it. Used by board_view_units.cpp and board_view_picture.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/picture/view.h"
#include "broker/store/picture_store.h"

namespace samband::broker {

// Appends JSON text the way nlohmann::json's dump() writes it. Not thread-safe; `out` must
// outlive it.
class JsonText {
 public:
  explicit JsonText(std::string& out) : out_(out) {}
  void raw(const char* text) { out_ += text; }
  void raw(const std::string& text) { out_ += text; }
  void raw(const char* data, size_t size) { out_.append(data, size); }
  void key(const char* k) {  // keys are ours: plain ASCII
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  // A further member of an object: the comma, then the key.
  void field(const char* k) {
    out_ += ',';
    key(k);
  }
  // Escaped as dump() escapes; text that is not UTF-8 throws nlohmann::json's type_error as
  // dump() does.
  void string(const std::string& s);
  void string(const char* s) { string(std::string(s)); }
  void textOrNull(const std::optional<std::string>& s);
  void number(int64_t n) { out_ += std::to_string(n); }
  void number(double d);
  void countOrNull(int64_t n);  // null when negative (not reported)
  void boolean(bool b) { out_ += b ? "true" : "false"; }
  void time(int64_t ms);  // RFC 3339 text

 private:
  std::string& out_;
};

// A unit's school forms in the protocol's order: the forms of its roster classes
// ("grundskola:1;fritidshem:0") and those its capacity reports named (`extraForms`, by unit
// code). `scratch` is reused between calls.
void unitForms(const UnitPictureRow& unit,
               const std::map<std::string, std::set<std::string>>& extraForms,
               std::set<std::string>& scratch, std::vector<std::string>* forms);

// What writeUnitFragment needs besides the unit's fragment.
struct UnitJsonContext {
  int64_t nowMs = 0;
  const ReportAge* ageRule = nullptr;  // must be set
  int64_t reportOldAfterMs = 0;
};

// A unit's object as text with five holes for what moves without a new report: its ages, whether
// it is expired or old (the clock), its provider's liveness and its what-if mark. Everything else
// comes from the unit's row, its provider's id and name and its school forms, so the text stays
// right until one of those changes (UnitTextCache keeps it between renders). Immutable once made.
struct UnitFragment {
  std::string text;
  // Offsets in `text` where writeUnitFragment puts: the ages (after the opening brace), expired,
  // liveness, old, whatif_failing.
  std::array<size_t, 5> holes{};
  bool reported = false;
  int64_t sentAt = 0;
  int64_t validUntil = 0;
};

UnitFragment makeUnitFragment(const UnitPictureRow& unit, const ProviderRow& provider,
                              const std::vector<std::string>& forms);

// Appends the unit's object (its report, ages, provider, liveness, forms, what-if mark) as the
// picture holds it: the fragment with its holes filled for `context`. Returns whether the report
// is old (expired, or older than the limit).
bool writeUnitFragment(JsonText& out, const UnitFragment& fragment, const char* liveness,
                       bool whatIfFailing, const UnitJsonContext& context);

}  // namespace samband::broker
