// CsvRecordReader: splits RFC 4180 text (UTF-8, optional BOM, LF or CRLF) into records with the
// line each starts on, for the files the city keeps in spreadsheets (roster, capacity). Quoted
// fields may hold commas, doubled quotes and line breaks. Pure; validation is the caller's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace samband::broker {

// One CSV record as read, before validation.
struct CsvRecord {
  int line = 0;  // 1-based physical line where the record starts
  std::vector<std::string> fields;
  std::string error;  // set when the record itself is malformed (says what to fix)
};

class CsvRecordReader {
 public:
  // `text` must outlive the reader.
  explicit CsvRecordReader(std::string_view text);

  // Reads the next record; false at end of input. A malformed record comes back with `error`
  // set and the rest of its line skipped.
  bool next(CsvRecord& record);

 private:
  bool atLineEnd() const;
  void consumeLineEnd();
  void skipToLineEnd();
  void readPlain(std::string& field, CsvRecord& record);
  void readQuoted(std::string& field, CsvRecord& record);

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace samband::broker
