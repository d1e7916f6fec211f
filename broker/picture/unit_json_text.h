// The JSON text of the board's big answers written straight from the database rows, byte for
// byte what nlohmann::json's dump() makes of the same tree (keys in its sorted order, its number
// and string formatting): JsonText, and one unit of the picture as GET /api/picture and
// GET /api/units carry it. Used by board_view_units.cpp and board_view_picture.cpp.
#pragma once

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

// What writeUnitJson needs besides the unit.
struct UnitJsonContext {
  int64_t nowMs = 0;
  const ReportAge* ageRule = nullptr;  // must be set
  int64_t reportOldAfterMs = 0;
};

// Writes the unit's object (its report, ages, provider, liveness, forms, what-if mark) as the
// picture holds it. Returns whether the report is old (expired, or older than the limit).
bool writeUnitJson(JsonText& out, const UnitPictureRow& unit, const ProviderRow& provider,
                   const char* liveness, const std::vector<std::string>& forms, bool whatIfFailing,
                   const UnitJsonContext& context);

}  // namespace samband::broker
