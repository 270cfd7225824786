// The .tg lexer: ASCII identifiers, decimal numbers, double-quoted strings, '#' comments.
// Works on raw bytes; anything outside the token set becomes an Error token naming the byte.
#include "Lexer.h"

#include <charconv>
#include <limits>
#include <system_error>

namespace tessera::frontend {

namespace {

// Explicit ASCII classes: <cctype> depends on the locale and is undefined for bytes >= 0x80.
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }
bool isPrintable(unsigned char c) { return c >= 0x20 && c <= 0x7e; }

// Names in messages are cut short so that a megabyte-long identifier cannot flood the output.
constexpr size_t kMaxShownBytes = 32;

struct Keyword {
  std::string_view spelling;
  TokenKind kind;
};
constexpr Keyword kKeywords[] = {
    {"config", TokenKind::KwConfig}, {"param", TokenKind::KwParam},
    {"fn", TokenKind::KwFn},         {"graph", TokenKind::KwGraph},
    {"return", TokenKind::KwReturn}, {"for", TokenKind::KwFor},
    {"in", TokenKind::KwIn},         {"true", TokenKind::KwTrue},
    {"false", TokenKind::KwFalse},   {"if", TokenKind::KwIf},
    {"else", TokenKind::KwElse},     {"preprocess", TokenKind::KwPreprocess},
    {"import", TokenKind::KwImport},
};

} // namespace

std::string describeByte(unsigned char byte) {
  if (isPrintable(byte))
    return std::string(1, static_cast<char>(byte));
  static const char kHex[] = "0123456789abcdef";
  return std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
}

const char *tokenKindSpelling(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Identifier:
    return "a name";
  case TokenKind::Integer:
    return "an integer";
  case TokenKind::Float:
    return "a number";
  case TokenKind::String:
    return "a string";
  case TokenKind::KwConfig:
    return "config";
  case TokenKind::KwPreprocess:
    return "preprocess";
  case TokenKind::KwImport:
    return "import";
  case TokenKind::KwParam:
    return "param";
  case TokenKind::KwFn:
    return "fn";
  case TokenKind::KwGraph:
    return "graph";
  case TokenKind::KwReturn:
    return "return";
  case TokenKind::KwFor:
    return "for";
  case TokenKind::KwIn:
    return "in";
  case TokenKind::KwTrue:
    return "true";
  case TokenKind::KwFalse:
    return "false";
  case TokenKind::KwIf:
    return "if";
  case TokenKind::KwElse:
    return "else";
  case TokenKind::SlashSlash:
    return "//";
  case TokenKind::Less:
    return "<";
  case TokenKind::LessEqual:
    return "<=";
  case TokenKind::Greater:
    return ">";
  case TokenKind::GreaterEqual:
    return ">=";
  case TokenKind::EqualEqual:
    return "==";
  case TokenKind::NotEqual:
    return "!=";
  case TokenKind::LParen:
    return "(";
  case TokenKind::RParen:
    return ")";
  case TokenKind::LBracket:
    return "[";
  case TokenKind::RBracket:
    return "]";
  case TokenKind::LBrace:
    return "{";
  case TokenKind::RBrace:
    return "}";
  case TokenKind::Comma:
    return ",";
  case TokenKind::Colon:
    return ":";
  case TokenKind::Semicolon:
    return ";";
  case TokenKind::Equal:
    return "=";
  case TokenKind::Plus:
    return "+";
  case TokenKind::Minus:
    return "-";
  case TokenKind::Star:
    return "*";
  case TokenKind::Slash:
    return "/";
  case TokenKind::Percent:
    return "%";
  case TokenKind::Dot:
    return ".";
  case TokenKind::DotDot:
    return "..";
  case TokenKind::Arrow:
    return "->";
  }
  return "?";
}

std::string describeToken(const Token &token) {
  if (token.is(TokenKind::Eof) || token.is(TokenKind::Error))
    return tokenKindSpelling(token.kind);
  if (token.is(TokenKind::String)) {
    std::string shown = "string \"";
    size_t n = 0;
    for (char c : token.text) {
      if (++n > kMaxShownBytes) {
        shown += "...";
        break;
      }
      if (c == '"' || c == '\\')
        shown += std::string("\\") + c;
      else if (c == '\n')
        shown += "\\n";
      else
        shown += describeByte(static_cast<unsigned char>(c));
    }
    return shown + "\"";
  }
  std::string_view spelling = token.spelling;
  std::string shown = "'";
  for (size_t i = 0; i < spelling.size() && i < kMaxShownBytes; ++i)
    shown += describeByte(static_cast<unsigned char>(spelling[i]));
  if (spelling.size() > kMaxShownBytes)
    shown += "...";
  return shown + "'";
}

SourceLoc Lexer::locAt(size_t offset) const {
  // Tokens never span lines, so every offset asked about lies on the current line.
  size_t col = offset - lineStart_ + 1;
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  return SourceLoc{line_, static_cast<uint32_t>(col < kMax ? col : kMax), fileId_};
}

Token Lexer::make(TokenKind kind, size_t begin, size_t end) {
  Token token;
  token.kind = kind;
  token.loc = locAt(begin);
  token.spelling = text_.substr(begin, end - begin);
  lastTokenEnd_ = locAt(end);
  return token;
}

Token Lexer::makeError(size_t offset, std::string message) {
  Token token;
  token.kind = TokenKind::Error;
  token.loc = locAt(offset);
  token.text = std::move(message);
  done_ = true;
  last_ = token;
  return token;
}

void Lexer::skipWhitespaceAndComments() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (c == '\n') {
      ++pos_;
      ++line_;
      lineStart_ = pos_;
    } else if (c == '#') {
      while (pos_ < text_.size() && text_[pos_] != '\n')
        ++pos_;
    } else {
      return;
    }
  }
}

Token Lexer::lex() {
  if (done_)
    return last_;
  skipWhitespaceAndComments();
  if (pos_ >= text_.size()) {
    // End of file is reported just after the last token, not on a blank line further down.
    Token eof;
    eof.kind = TokenKind::Eof;
    eof.loc = lastTokenEnd_;
    done_ = true;
    last_ = eof;
    return eof;
  }

  char c = text_[pos_];
  if (isDigit(c))
    return lexNumber();
  if (isIdentStart(c))
    return lexIdentifierOrKeyword();
  if (c == '"')
    return lexString();

  size_t begin = pos_;
  auto punct = [&](TokenKind kind, size_t length) {
    pos_ += length;
    return make(kind, begin, pos_);
  };
  char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
  switch (c) {
  case '(':
    return punct(TokenKind::LParen, 1);
  case ')':
    return punct(TokenKind::RParen, 1);
  case '[':
    return punct(TokenKind::LBracket, 1);
  case ']':
    return punct(TokenKind::RBracket, 1);
  case '{':
    return punct(TokenKind::LBrace, 1);
  case '}':
    return punct(TokenKind::RBrace, 1);
  case ',':
    return punct(TokenKind::Comma, 1);
  case ':':
    return punct(TokenKind::Colon, 1);
  case ';':
    return punct(TokenKind::Semicolon, 1);
  case '=':
    return next == '=' ? punct(TokenKind::EqualEqual, 2) : punct(TokenKind::Equal, 1);
  case '<':
    return next == '=' ? punct(TokenKind::LessEqual, 2) : punct(TokenKind::Less, 1);
  case '>':
    return next == '=' ? punct(TokenKind::GreaterEqual, 2) : punct(TokenKind::Greater, 1);
  case '!':
    if (next == '=')
      return punct(TokenKind::NotEqual, 2);
    return makeError(pos_, "unexpected character '!'; did you mean '!='?");
  case '+':
    return punct(TokenKind::Plus, 1);
  case '*':
    return punct(TokenKind::Star, 1);
  case '/':
    return next == '/' ? punct(TokenKind::SlashSlash, 2) : punct(TokenKind::Slash, 1);
  case '%':
    return punct(TokenKind::Percent, 1);
  case '-':
    return next == '>' ? punct(TokenKind::Arrow, 2) : punct(TokenKind::Minus, 1);
  case '.':
    return next == '.' ? punct(TokenKind::DotDot, 2) : punct(TokenKind::Dot, 1);
  case '\'':
    return makeError(pos_, "unexpected character '\''; strings are written in double quotes");
  default:
    return makeError(pos_,
                     "unexpected character '" + describeByte(static_cast<unsigned char>(c)) + "'");
  }
}

Token Lexer::lexIdentifierOrKeyword() {
  size_t begin = pos_;
  while (pos_ < text_.size() && isIdentChar(text_[pos_]))
    ++pos_;
  std::string_view word = text_.substr(begin, pos_ - begin);
  for (const Keyword &keyword : kKeywords)
    if (word == keyword.spelling)
      return make(keyword.kind, begin, pos_);
  return make(TokenKind::Identifier, begin, pos_);
}

Token Lexer::lexNumber() {
  size_t begin = pos_;
  auto digitAt = [&](size_t i) { return i < text_.size() && isDigit(text_[i]); };
  while (digitAt(pos_))
    ++pos_;
  bool isFloat = false;
  // A '.' is a decimal point only when a digit follows, so `0..n` is 0, '..', n.
  if (pos_ < text_.size() && text_[pos_] == '.' && digitAt(pos_ + 1)) {
    isFloat = true;
    ++pos_;
    while (digitAt(pos_))
      ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    size_t p = pos_ + 1;
    if (p < text_.size() && (text_[p] == '+' || text_[p] == '-'))
      ++p;
    if (digitAt(p)) {
      isFloat = true;
      pos_ = p;
      while (digitAt(pos_))
        ++pos_;
    }
  }
  // `2x` or `1e` is a typo, not a number followed by a name.
  if (pos_ < text_.size() && isIdentChar(text_[pos_])) {
    size_t suffixEnd = pos_;
    while (suffixEnd < text_.size() && isIdentChar(text_[suffixEnd]) &&
           suffixEnd - pos_ < kMaxShownBytes)
      ++suffixEnd;
    std::string suffix(text_.substr(pos_, suffixEnd - pos_));
    if (suffixEnd < text_.size() && isIdentChar(text_[suffixEnd]))
      suffix += "...";
    return makeError(pos_, "invalid suffix '" + suffix + "' on numeric literal");
  }

  const char *first = text_.data() + begin;
  const char *last = text_.data() + pos_;
  if (isFloat) {
    double value = 0.0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range)
      return makeError(begin, "floating-point literal is out of range");
    if (ec != std::errc() || ptr != last)
      return makeError(begin, "invalid floating-point literal");
    Token token = make(TokenKind::Float, begin, pos_);
    token.floatValue = value;
    return token;
  }
  int64_t value = 0;
  for (const char *p = first; p != last; ++p) {
    int digit = *p - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
      return makeError(begin, "integer literal is too large");
    value = value * 10 + digit;
  }
  Token token = make(TokenKind::Integer, begin, pos_);
  token.intValue = value;
  return token;
}

Token Lexer::lexString() {
  size_t begin = pos_;
  ++pos_; // the opening quote
  std::string value;
  while (true) {
    if (pos_ >= text_.size() || text_[pos_] == '\n')
      return makeError(begin, "unterminated string");
    char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      break;
    }
    if (c != '\\') {
      value.push_back(c);
      ++pos_;
      continue;
    }
    if (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n')
      return makeError(begin, "unterminated string");
    char escaped = text_[pos_ + 1];
    switch (escaped) {
    case '"':
      value.push_back('"');
      break;
    case '\\':
      value.push_back('\\');
      break;
    case 'n':
      value.push_back('\n');
      break;
    default: {
      unsigned char byte = static_cast<unsigned char>(escaped);
      if (isPrintable(byte))
        return makeError(pos_, std::string("invalid escape sequence '\\") + escaped +
                                   "' in string; expected \\\", \\\\ or \\n");
      return makeError(pos_, "invalid escape sequence: '\\' followed by '" + describeByte(byte) +
                                 "' in string");
    }
    }
    pos_ += 2;
  }
  Token token = make(TokenKind::String, begin, pos_);
  token.text = std::move(value);
  return token;
}

} // namespace tessera::frontend
