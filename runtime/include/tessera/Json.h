// A small strict JSON parser (RFC 8259) for safetensors headers. Depth-limited and
// bounds-checked throughout: garbage gives an error with a byte offset, never a crash.
#ifndef TESSERA_RUNTIME_JSON_H
#define TESSERA_RUNTIME_JSON_H

#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::runtime {

class JsonValue {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  bool boolValue() const { return bool_; }
  double numberValue() const { return number_; }
  // True if the number was written as a non-negative integer literal (no sign, fraction or
  // exponent) that fits in uint64; uintValue() is then exact even beyond 2^53.
  bool isUnsignedInteger() const { return isUnsigned_; }
  uint64_t uintValue() const { return uint_; }
  const std::string &stringValue() const { return string_; }
  const std::vector<JsonValue> &arrayItems() const { return array_; }
  // Members in file order; keys are unique (duplicates are a parse error).
  const std::vector<std::pair<std::string, JsonValue>> &objectMembers() const { return object_; }
  // The member called `key`, or null.
  const JsonValue *find(std::string_view key) const;

  static const char *kindName(Kind kind);

private:
  friend class JsonParser;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  bool isUnsigned_ = false;
  uint64_t uint_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> object_;
};

constexpr unsigned kJsonMaxDepth = 64;

// Parses exactly one JSON value; only whitespace may follow it.
Expected<JsonValue> parseJson(std::string_view text);

// `text` as a JSON string literal, quotes included (control characters as \u00XX).
std::string jsonQuoted(const std::string &text);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_JSON_H
