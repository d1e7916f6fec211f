// See csv_records.h.
#include "broker/planning/csv_records.h"

namespace samband::broker {

CsvRecordReader::CsvRecordReader(std::string_view text) : text_(text) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool CsvRecordReader::next(CsvRecord& record) {
  if (pos_ >= text_.size()) return false;
  record = CsvRecord{};
  record.line = line_;
  std::string field;
  for (;;) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      readQuoted(field, record);
    } else {
      readPlain(field, record);
    }
    record.fields.push_back(std::move(field));
    field.clear();
    if (!record.error.empty()) {
      skipToLineEnd();
      return true;
    }
    if (pos_ >= text_.size()) return true;
    const char c = text_[pos_];
    if (c == ',') {
      ++pos_;
      continue;
    }
    consumeLineEnd();
    return true;
  }
}

bool CsvRecordReader::atLineEnd() const {
  return text_[pos_] == '\n' ||
         (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n');
}

void CsvRecordReader::consumeLineEnd() {
  pos_ += text_[pos_] == '\r' ? 2 : 1;
  ++line_;
}

void CsvRecordReader::skipToLineEnd() {
  while (pos_ < text_.size() && !atLineEnd()) ++pos_;
  if (pos_ < text_.size()) consumeLineEnd();
}

void CsvRecordReader::readPlain(std::string& field, CsvRecord& record) {
  while (pos_ < text_.size() && text_[pos_] != ',' && !atLineEnd()) {
    if (text_[pos_] == '"') {
      record.error =
          "a quote inside an unquoted field; put the whole field in quotes and "
          "double the quotes inside it";
      return;
    }
    field.push_back(text_[pos_++]);
  }
}

void CsvRecordReader::readQuoted(std::string& field, CsvRecord& record) {
  ++pos_;
  for (;;) {
    if (pos_ >= text_.size()) {
      record.error = "a quoted field is not closed; add the closing quote";
      return;
    }
    const char c = text_[pos_++];
    if (c == '"') {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        field.push_back('"');
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && !atLineEnd()) {
        record.error = "text after a closing quote; double quotes inside a quoted field";
      }
      return;
    }
    if (c == '\n') ++line_;
    field.push_back(c);
  }
}

}  // namespace samband::broker
