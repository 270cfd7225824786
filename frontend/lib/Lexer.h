// Splits .tg source text into tokens, on demand. Private to the frontend library.
#ifndef TESSERA_FRONTEND_LIB_LEXER_H
#define TESSERA_FRONTEND_LIB_LEXER_H

#include "tessera/frontend/AST.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::frontend {

enum class TokenKind {
  Eof,
  Error, // a lexical error; Token::text holds the message
  Identifier,
  Integer,
  Float,
  String,
  // Keywords.
  KwConfig,
  KwPreprocess,
  KwImport,
  KwParam,
  KwFn,
  KwGraph,
  KwReturn,
  KwFor,
  KwIn,
  KwTrue,
  KwFalse,
  // Punctuation.
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  Equal,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Dot,
  DotDot,
  Arrow,
  SlashSlash,   // //
  Less,         // <
  LessEqual,    // <=
  Greater,      // >
  GreaterEqual, // >=
  EqualEqual,   // ==
  NotEqual,     // !=
  KwIf,
  KwElse,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  SourceLoc loc;
  std::string_view spelling; // the token's bytes in the source (empty for Eof and Error)
  int64_t intValue = 0;      // Integer
  double floatValue = 0.0;   // Float
  std::string text;          // String: the unescaped contents; Error: the message

  bool is(TokenKind k) const { return kind == k; }
};

/// The fixed spelling of a keyword or punctuation kind, e.g. "->"; a description otherwise.
const char *tokenKindSpelling(TokenKind kind);

/// How a token is named in "found X" messages: 'x', '}', string "abc", end of file.
std::string describeToken(const Token &token);

/// A byte as shown in a message: itself when printable, else a \xHH escape.
std::string describeByte(unsigned char byte);

class Lexer {
public:
  /// `text` must outlive the lexer and every token it returns. Every token's location carries
  /// `fileId` (the file's index in its DiagnosticEngine).
  explicit Lexer(std::string_view text, uint32_t fileId = 0) : text_(text), fileId_(fileId) {}

  /// The next token. After an Eof or Error token, keeps returning that same token, so that a
  /// parser can never run past the end or past a lexical error.
  Token lex();

private:
  Token lexNumber();
  Token lexIdentifierOrKeyword();
  Token lexString();
  void skipWhitespaceAndComments();

  SourceLoc locAt(size_t offset) const;
  Token make(TokenKind kind, size_t begin, size_t end);
  Token makeError(size_t offset, std::string message);

  std::string_view text_;
  uint32_t fileId_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t lineStart_ = 0;
  SourceLoc lastTokenEnd_{1, 1, fileId_}; // where end of file is reported
  bool done_ = false;                     // an Eof or Error token has been returned
  Token last_;                            // that token, repeated by every later lex()
};

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_LIB_LEXER_H
