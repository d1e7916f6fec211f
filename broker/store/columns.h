// How every store file reads a column, binds a value that may be absent, and reports a failed
// query: BLOBs as bytes, NULL as an empty optional, a library exception as an `unavailable`
// error. Only broker/store/*.cpp include this; it is part of the SQL layer.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker::columns {

// The column's bytes, copied; an empty vector for NULL or a zero-length BLOB.
inline common::Bytes blob(const SQLite::Column& c) {
  auto* p = static_cast<const uint8_t*>(c.getBlob());
  return common::Bytes(p, p + c.getBytes());
}

// The column's integer, or nothing when it is NULL.
inline std::optional<int64_t> optionalInt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

// The column's text, or nothing when it is NULL.
inline std::optional<std::string> optionalText(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

// Binds the value at `index`, or NULL when there is none.
template <typename T>
void bindOptional(SQLite::Statement& q, int index, const std::optional<T>& value) {
  if (value) {
    q.bind(index, *value);
  } else {
    q.bind(index);
  }
}

// A query that threw: the database is there but could not answer, so the caller may retry.
inline common::Error failure(const std::exception& e) { return common::unavailable(e.what()); }

}  // namespace samband::broker::columns
