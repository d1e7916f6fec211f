// Result<T>: the return type of every call that can fail for reasons outside our control.
// The error kind tells the caller what it can do next (see CONVENTIONS.md, "Failure").
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace samband::common {

enum class ErrorKind {
  invalidInput,  // the input is wrong; fix it and try again
  unauthorised,  // the sender or key is not allowed to do this
  conflict,      // the request contradicts stored state (e.g. a replayed sequence number)
  notFound,      // the thing asked for does not exist
  overloaded,    // try again later
  unavailable,   // a peer or resource is gone; retry when it is back
  internal,      // a bug or a broken environment; report it
};

const char* errorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;
};

inline Error invalidInput(std::string m) { return {ErrorKind::invalidInput, std::move(m)}; }
inline Error unauthorised(std::string m) { return {ErrorKind::unauthorised, std::move(m)}; }
inline Error unavailable(std::string m) { return {ErrorKind::unavailable, std::move(m)}; }
inline Error internalError(std::string m) { return {ErrorKind::internal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result of a call that returns nothing on success.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace samband::common
