// A recursive-descent JSON parser. Recursion is bounded by kJsonMaxDepth and every read is
// bounds-checked, so hostile input costs at most linear time and a clear error.
#include "tessera/Json.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <unordered_set>

namespace tessera::runtime {

const JsonValue *JsonValue::find(std::string_view key) const {
  for (const auto &member : object_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *JsonValue::kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "boolean";
  case Kind::Number:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "?";
}

class JsonParser {
public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Expected<JsonValue> parseDocument() {
    JsonValue value;
    skipSpace();
    if (Error err = parseValue(value, 0))
      return err;
    skipSpace();
    if (pos_ != text_.size())
      return fail("unexpected text after the JSON value");
    return value;
  }

private:
  Error fail(const std::string &what) const {
    return makeError("invalid JSON at byte ", pos_, ": ", what);
  }
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  void skipSpace() {
    while (!atEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                        text_[pos_] == '\r'))
      ++pos_;
  }
  bool consumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }

  Error parseValue(JsonValue &out, unsigned depth) {
    if (atEnd())
      return fail("unexpected end of input");
    switch (peek()) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"':
      out.kind_ = JsonValue::Kind::String;
      return parseString(out.string_);
    case 't':
    case 'f':
    case 'n':
      if (consumeWord("true")) {
        out.kind_ = JsonValue::Kind::Bool;
        out.bool_ = true;
      } else if (consumeWord("false")) {
        out.kind_ = JsonValue::Kind::Bool;
        out.bool_ = false;
      } else if (consumeWord("null")) {
        out.kind_ = JsonValue::Kind::Null;
      } else {
        return fail("unexpected literal");
      }
      return Error::success();
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber(out);
      return fail(concat("unexpected character '", peek(), "'"));
    }
  }

  Error parseObject(JsonValue &out, unsigned depth) {
    if (depth >= kJsonMaxDepth)
      return fail("nesting deeper than " + std::to_string(kJsonMaxDepth));
    ++pos_; // '{'
    out.kind_ = JsonValue::Kind::Object;
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      return Error::success();
    }
    // A set keeps duplicate detection linear for objects with many members.
    std::unordered_set<std::string> keys;
    for (;;) {
      skipSpace();
      if (peek() != '"')
        return fail("expected a string key");
      std::string key;
      if (Error err = parseString(key))
        return err;
      if (!keys.insert(key).second)
        return fail("duplicate key \"" + key + "\"");
      skipSpace();
      if (peek() != ':')
        return fail("expected ':'");
      ++pos_;
      skipSpace();
      JsonValue value;
      if (Error err = parseValue(value, depth + 1))
        return err;
      out.object_.emplace_back(std::move(key), std::move(value));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return Error::success();
      }
      return fail("expected ',' or '}'");
    }
  }

  Error parseArray(JsonValue &out, unsigned depth) {
    if (depth >= kJsonMaxDepth)
      return fail("nesting deeper than " + std::to_string(kJsonMaxDepth));
    ++pos_; // '['
    out.kind_ = JsonValue::Kind::Array;
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return Error::success();
    }
    for (;;) {
      skipSpace();
      JsonValue value;
      if (Error err = parseValue(value, depth + 1))
        return err;
      out.array_.push_back(std::move(value));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return Error::success();
      }
      return fail("expected ',' or ']'");
    }
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Error parseHex4(uint32_t &out) {
    if (text_.size() - pos_ < 4)
      return fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9')
        out |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        out |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        out |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return fail("bad hex digit in \\u escape");
    }
    return Error::success();
  }

  // Length of the valid UTF-8 sequence starting at pos_, or 0.
  size_t utf8SequenceLength() const {
    auto byte = [&](size_t i) { return static_cast<uint8_t>(text_[pos_ + i]); };
    uint8_t lead = byte(0);
    size_t length;
    uint32_t cp;
    if (lead < 0x80)
      return 1;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      cp = lead & 0x07;
    } else {
      return 0;
    }
    if (text_.size() - pos_ < length)
      return 0;
    for (size_t i = 1; i < length; ++i) {
      if ((byte(i) & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (byte(i) & 0x3F);
    }
    // Reject overlong forms, surrogates and values beyond Unicode.
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[length] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return 0;
    return length;
  }

  Error parseString(std::string &out) {
    ++pos_; // '"'
    for (;;) {
      if (atEnd())
        return fail("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Error::success();
      }
      if (static_cast<uint8_t>(c) < 0x20)
        return fail("control character in string");
      if (c != '\\') {
        size_t length = utf8SequenceLength();
        if (length == 0)
          return fail("invalid UTF-8 in string");
        out.append(text_.substr(pos_, length));
        pos_ += length;
        continue;
      }
      ++pos_;
      if (atEnd())
        return fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp = 0;
        if (Error err = parseHex4(cp))
          return err;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return fail("unpaired low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (!consumeWord("\\u"))
            return fail("unpaired high surrogate");
          uint32_t low = 0;
          if (Error err = parseHex4(low))
            return err;
          if (low < 0xDC00 || low > 0xDFFF)
            return fail("invalid low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(concat("invalid escape '\\", e, "'"));
      }
    }
  }

  Error parseNumber(JsonValue &out) {
    size_t start = pos_;
    bool negative = false, integral = true;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    auto isDigit = [&] { return peek() >= '0' && peek() <= '9'; };
    if (!isDigit())
      return fail("expected a digit");
    if (peek() == '0') {
      ++pos_;
      if (isDigit())
        return fail("leading zeros are not allowed");
    } else {
      while (isDigit())
        ++pos_;
    }
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!isDigit())
        return fail("expected a digit after '.'");
      while (isDigit())
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!isDigit())
        return fail("expected a digit in the exponent");
      while (isDigit())
        ++pos_;
    }
    std::string literal(text_.substr(start, pos_ - start));
    out.kind_ = JsonValue::Kind::Number;
    out.number_ = std::strtod(literal.c_str(), nullptr);
    if (integral && !negative) {
      uint64_t value = 0;
      bool fits = true;
      for (char c : literal) {
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
          fits = false;
          break;
        }
        value = value * 10 + digit;
      }
      out.isUnsigned_ = fits;
      out.uint_ = fits ? value : 0;
    }
    return Error::success();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Expected<JsonValue> parseJson(std::string_view text) { return JsonParser(text).parseDocument(); }

std::string jsonQuoted(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

} // namespace tessera::runtime
