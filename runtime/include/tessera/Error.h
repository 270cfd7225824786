// Error handling for the runtime: every failure caused by input (a file, a module, a tensor)
// comes back as an Error with a message instead of aborting, so embedders and tools decide what
// to do with it.
#ifndef TESSERA_RUNTIME_ERROR_H
#define TESSERA_RUNTIME_ERROR_H

#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace tessera::runtime {

// Success, or a failure with a human-readable message. Converts to true when it holds a failure
// so call sites read like LLVM's: `if (Error err = step()) return err;`.
class [[nodiscard]] Error {
public:
  Error() = default;
  static Error success() { return Error(); }
  static Error failure(std::string message) {
    Error err;
    err.failed_ = true;
    err.message_ = std::move(message);
    return err;
  }

  explicit operator bool() const { return failed_; }
  bool failed() const { return failed_; }
  const std::string &message() const { return message_; }

  // Prefixes the message with "context: ", e.g. the file or tensor the failure belongs to.
  Error withContext(const std::string &context) const {
    if (!failed_)
      return *this;
    return failure(context + ": " + message_);
  }

private:
  bool failed_ = false;
  std::string message_;
};

// Streams all arguments into one string; the building block for error messages.
template <typename... Args> std::string concat(const Args &...args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

template <typename... Args> Error makeError(const Args &...args) {
  return Error::failure(concat(args...));
}

// A value of type T, or the Error explaining why there is none. Converts to true when it holds
// a value.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Error error) : error_(std::move(error)) {
    // A success Error carries no value; treat it as a bug-shaped failure rather than UB.
    if (!error_)
      error_ = Error::failure("internal error: empty Expected");
  }

  explicit operator bool() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

  const Error &error() const { return error_; }
  Error takeError() { return std::move(error_); }
  T takeValue() { return std::move(*value_); }

private:
  std::optional<T> value_;
  Error error_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_ERROR_H
