// Recursive-descent parser for .tg files (grammar: docs/DSL.md). Stops at the first error.
//
// Robustness: every parse function returns null/false after reporting, and the callers return
// at once, so exactly one diagnostic is produced. Recursion and AST depth are both bounded by
// kMaxNesting (see deepen()), so no input can overflow the stack here, in the AST's recursive
// destructors, or in later passes that walk the tree recursively.
#include "tessera/frontend/Parser.h"

#include "Lexer.h"

#include <string_view>
#include <unordered_set>

namespace tessera::frontend {

namespace {

constexpr unsigned kMaxNesting = 256;

// Expressions quoted in messages are cut short; the caret already shows where they are.
constexpr size_t kMaxQuotedExprBytes = 40;

std::string formatLoc(SourceLoc loc) {
  return std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

std::string quoted(TokenKind kind) { return std::string("'") + tokenKindSpelling(kind) + "'"; }

/// Restores the nesting depth on scope exit, however many levels the scope added.
class DepthScope {
public:
  explicit DepthScope(unsigned &depth) : depth_(depth), saved_(depth) {}
  ~DepthScope() { depth_ = saved_; }
  DepthScope(const DepthScope &) = delete;
  DepthScope &operator=(const DepthScope &) = delete;

private:
  unsigned &depth_;
  unsigned saved_;
};

ExprPtr makeExpr(Expr::Kind kind, SourceLoc loc) { return std::make_unique<Expr>(kind, loc); }

class Parser {
public:
  Parser(const SourceFile &file, DiagnosticEngine &diags, uint32_t fileId)
      : lexer_(file.text(), fileId), diags_(diags) {
    tok_ = lexer_.lex();
  }

  std::optional<Program> parseProgram();

private:
  // Token stream: the current token plus at most one token of lookahead.
  const Token &tok() const { return tok_; }
  const Token &peek();
  Token consume();
  bool consumeIf(TokenKind kind);

  // Diagnostics. All return false (or null) so that callers can `return error(...)`.
  bool error(const Token &at, const std::string &message);
  bool errorAt(SourceLoc loc, const std::string &message);
  bool errorExpected(const std::string &what) {
    return error(tok_, "expected " + what + ", found " + describeToken(tok_));
  }
  bool expect(TokenKind kind, const std::string &context);
  bool expectClosing(TokenKind close, const Token &open);
  bool expectName(const std::string &what, std::string &name, SourceLoc &loc);
  bool deepen();

  // Declarations.
  bool parseConfig(Program &program);
  bool parseImport(Program &program);
  bool parseFn(Program &program);
  bool parseGraph(Program &program);
  bool parseGraphArg(const std::string &what, GraphArg &arg);
  bool parseType(TensorTypeExpr &type);

  // Statements.
  bool parseBlock(const std::string &owner, std::vector<StmtPtr> &body);
  StmtPtr parseStmt(const Token &open);
  StmtPtr parseAssign();
  StmtPtr parseReturn();
  StmtPtr parseFor();
  StmtPtr parseIf();
  StmtPtr parseParam();
  ExprPtr parsePath();

  // Expressions, by increasing precedence.
  ExprPtr parseExpr() { return parseComparison(); }
  ExprPtr parseComparison();
  ExprPtr parseAdditive();
  ExprPtr parseMultiplicative();
  ExprPtr parseUnary();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  ExprPtr parseList();
  bool parseSubscript(Subscript &subscript);
  bool parseCallArgs(Expr &call);

  Lexer lexer_;
  DiagnosticEngine &diags_;
  Token tok_;
  Token peek_;
  bool hasPeek_ = false;
  bool failed_ = false;
  unsigned depth_ = 0;
};

//===------------------------------------------------------------------------------------------===//
// Tokens and diagnostics
//===------------------------------------------------------------------------------------------===//

const Token &Parser::peek() {
  if (!hasPeek_) {
    peek_ = lexer_.lex();
    hasPeek_ = true;
  }
  return peek_;
}

Token Parser::consume() {
  Token consumed = std::move(tok_);
  if (hasPeek_) {
    tok_ = std::move(peek_);
    hasPeek_ = false;
  } else {
    tok_ = lexer_.lex();
  }
  return consumed;
}

bool Parser::consumeIf(TokenKind kind) {
  if (!tok_.is(kind))
    return false;
  consume();
  return true;
}

bool Parser::error(const Token &at, const std::string &message) {
  if (failed_)
    return false;
  failed_ = true;
  // A lexical error is only reported once the parser reaches it; then it explains the problem
  // better than "expected X" does.
  if (at.is(TokenKind::Error))
    diags_.error(at.loc, at.text);
  else
    diags_.error(at.loc, message);
  return false;
}

bool Parser::errorAt(SourceLoc loc, const std::string &message) {
  if (failed_)
    return false;
  failed_ = true;
  diags_.error(loc, message);
  return false;
}

bool Parser::expect(TokenKind kind, const std::string &context) {
  if (consumeIf(kind))
    return true;
  return errorExpected(quoted(kind) + (context.empty() ? "" : " " + context));
}

bool Parser::expectClosing(TokenKind close, const Token &open) {
  if (consumeIf(close))
    return true;
  return errorExpected(quoted(close) + " to close " + quoted(open.kind) + " at " +
                       formatLoc(open.loc));
}

bool Parser::expectName(const std::string &what, std::string &name, SourceLoc &loc) {
  if (!tok_.is(TokenKind::Identifier))
    return errorExpected(what);
  loc = tok_.loc;
  name = std::string(consume().spelling);
  return true;
}

/// Enters one more level of nesting. Called once per recursive descent (blocks, unary
/// expressions, which every parenthesis, list, subscript and argument goes through) and once per
/// link of a left-leaning chain (`a + b + c`, `x.a[0].b`), because chains deepen the AST just as
/// parentheses do, without deepening the parser's own recursion.
bool Parser::deepen() {
  if (++depth_ <= kMaxNesting)
    return true;
  return error(tok_, "nesting is too deep");
}

//===------------------------------------------------------------------------------------------===//
// Declarations
//===------------------------------------------------------------------------------------------===//

std::optional<Program> Parser::parseProgram() {
  Program program;
  while (true) {
    while (consumeIf(TokenKind::Semicolon)) {
    }
    bool ok = true;
    switch (tok_.kind) {
    case TokenKind::Eof:
      return program;
    case TokenKind::KwConfig:
      ok = parseConfig(program);
      break;
    case TokenKind::KwImport:
      ok = parseImport(program);
      break;
    case TokenKind::KwPreprocess: {
      PreprocessDecl decl;
      decl.loc = consume().loc;
      decl.flags = parseExpr();
      ok = decl.flags != nullptr;
      if (ok)
        program.preprocess.push_back(std::move(decl));
      break;
    }
    case TokenKind::KwParam: {
      StmtPtr param = parseParam();
      ok = param != nullptr;
      if (ok)
        program.params.push_back(std::move(param));
      break;
    }
    case TokenKind::KwFn:
      ok = parseFn(program);
      break;
    case TokenKind::KwGraph:
      ok = parseGraph(program);
      break;
    default:
      ok = errorExpected("'graph', 'fn', 'config', 'param', 'import' or 'preprocess' at top level");
      break;
    }
    if (!ok)
      return std::nullopt;
  }
}

bool Parser::parseConfig(Program &program) {
  consume(); // 'config'
  do {
    ConfigEntry entry;
    if (!expectName("a config name", entry.name, entry.loc) ||
        !expect(TokenKind::Equal, "after config name '" + entry.name + "'"))
      return false;
    entry.value = parseExpr();
    if (!entry.value)
      return false;
    program.configs.push_back(std::move(entry));
  } while (consumeIf(TokenKind::Comma));
  return true;
}

bool Parser::parseImport(Program &program) {
  ImportDecl decl;
  decl.loc = consume().loc; // 'import'
  if (!tok_.is(TokenKind::String))
    return errorExpected("the path of the imported file as a string after 'import'");
  decl.path = consume().text;
  if (decl.path.empty())
    return error(tok_, "the path after 'import' is empty");
  program.imports.push_back(std::move(decl));
  return true;
}

bool Parser::parseFn(Program &program) {
  FnDecl fn;
  fn.loc = consume().loc; // 'fn'
  SourceLoc nameLoc;
  if (!expectName("a function name after 'fn'", fn.name, nameLoc))
    return false;
  if (!tok_.is(TokenKind::LParen))
    return errorExpected("'(' after function name '" + fn.name + "'");
  Token open = consume();
  if (!tok_.is(TokenKind::RParen)) {
    do {
      std::string param;
      SourceLoc paramLoc;
      if (!expectName("a parameter name", param, paramLoc))
        return false;
      for (const std::string &earlier : fn.params)
        if (earlier == param)
          return errorAt(paramLoc, "fn '" + fn.name + "' has two parameters named '" + param + "'");
      ExprPtr defaultValue;
      if (consumeIf(TokenKind::Equal)) {
        defaultValue = parseExpr();
        if (!defaultValue)
          return false;
      } else if (!fn.defaults.empty() && fn.defaults.back()) {
        // As in Python: a call could not bind it by position without the ones before it.
        return errorAt(paramLoc, "parameter '" + param + "' of fn '" + fn.name +
                                     "' needs a default, as the parameters before it have");
      }
      fn.params.push_back(std::move(param));
      fn.paramLocs.push_back(paramLoc);
      fn.defaults.push_back(std::move(defaultValue));
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expectClosing(TokenKind::RParen, open) || !parseBlock("function '" + fn.name + "'", fn.body))
    return false;
  program.fns.push_back(std::move(fn));
  return true;
}

bool Parser::parseGraph(Program &program) {
  GraphDecl graph;
  graph.loc = consume().loc; // 'graph'
  SourceLoc nameLoc;
  if (!expectName("a graph name after 'graph'", graph.name, nameLoc))
    return false;

  if (!tok_.is(TokenKind::LParen))
    return errorExpected("'(' after graph name '" + graph.name + "'");
  Token open = consume();
  if (!tok_.is(TokenKind::RParen)) {
    do {
      GraphArg arg;
      if (!parseGraphArg("an input name", arg))
        return false;
      graph.inputs.push_back(std::move(arg));
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expectClosing(TokenKind::RParen, open) ||
      !expect(TokenKind::Arrow, "after the inputs of graph '" + graph.name + "'"))
    return false;

  // Unlike the inputs, the outputs may not be empty: a graph must compute something.
  if (!tok_.is(TokenKind::LParen))
    return errorExpected("'(' before the outputs of graph '" + graph.name + "'");
  open = consume();
  do {
    GraphArg arg;
    if (!parseGraphArg("an output name", arg))
      return false;
    graph.outputs.push_back(std::move(arg));
  } while (consumeIf(TokenKind::Comma));
  if (!expectClosing(TokenKind::RParen, open) ||
      !parseBlock("graph '" + graph.name + "'", graph.body))
    return false;
  program.graphs.push_back(std::move(graph));
  return true;
}

bool Parser::parseGraphArg(const std::string &what, GraphArg &arg) {
  return expectName(what, arg.name, arg.loc) &&
         expect(TokenKind::Colon, "after '" + arg.name + "'") && parseType(arg.type);
}

bool Parser::parseType(TensorTypeExpr &type) {
  if (!tok_.is(TokenKind::Identifier))
    return errorExpected("an element type");
  std::string_view dtype = tok_.spelling;
  if (dtype != "f32" && dtype != "i32" && dtype != "i64")
    return error(tok_,
                 "unknown element type " + describeToken(tok_) + "; expected f32, i32 or i64");
  type.loc = tok_.loc;
  type.dtype = std::string(consume().spelling);
  if (!tok_.is(TokenKind::LBracket))
    return errorExpected("'[' after element type '" + type.dtype + "'");
  Token open = consume();
  if (!tok_.is(TokenKind::RBracket)) {
    do {
      ExprPtr dim = parseExpr();
      if (!dim)
        return false;
      type.dims.push_back(std::move(dim));
    } while (consumeIf(TokenKind::Comma));
  }
  return expectClosing(TokenKind::RBracket, open);
}

//===------------------------------------------------------------------------------------------===//
// Statements
//===------------------------------------------------------------------------------------------===//

bool Parser::parseBlock(const std::string &owner, std::vector<StmtPtr> &body) {
  DepthScope scope(depth_);
  if (!tok_.is(TokenKind::LBrace))
    return errorExpected("'{' to begin the body of " + owner);
  if (!deepen())
    return false;
  Token open = consume();
  while (true) {
    while (consumeIf(TokenKind::Semicolon)) {
    }
    if (consumeIf(TokenKind::RBrace))
      return true;
    StmtPtr stmt = parseStmt(open);
    if (!stmt)
      return false;
    body.push_back(std::move(stmt));
  }
}

StmtPtr Parser::parseStmt(const Token &open) {
  switch (tok_.kind) {
  case TokenKind::Identifier:
    return parseAssign();
  case TokenKind::KwReturn:
    return parseReturn();
  case TokenKind::KwFor:
    return parseFor();
  case TokenKind::KwIf:
    return parseIf();
  case TokenKind::KwParam:
    return parseParam();
  case TokenKind::Eof:
  case TokenKind::RParen:
  case TokenKind::RBracket:
    // Most likely a missing or mismatched '}': point back at the brace that is still open.
    expectClosing(TokenKind::RBrace, open);
    return nullptr;
  default:
    errorExpected("a statement");
    return nullptr;
  }
}

StmtPtr Parser::parseAssign() {
  auto stmt = std::make_unique<Stmt>(Stmt::Kind::Assign, tok_.loc);
  stmt->name = std::string(consume().spelling);
  if (!expect(TokenKind::Equal, "after '" + stmt->name + "'"))
    return nullptr;
  stmt->value = parseExpr();
  return stmt->value ? std::move(stmt) : nullptr;
}

StmtPtr Parser::parseReturn() {
  auto stmt = std::make_unique<Stmt>(Stmt::Kind::Return, consume().loc);
  do {
    ExprPtr value = parseExpr();
    if (!value)
      return nullptr;
    stmt->values.push_back(std::move(value));
  } while (consumeIf(TokenKind::Comma));
  return stmt;
}

StmtPtr Parser::parseFor() {
  auto stmt = std::make_unique<Stmt>(Stmt::Kind::For, consume().loc);
  SourceLoc varLoc;
  if (!expectName("a loop variable after 'for'", stmt->name, varLoc) ||
      !expect(TokenKind::KwIn, "after loop variable '" + stmt->name + "'"))
    return nullptr;
  stmt->start = parseExpr();
  if (!stmt->start || !expect(TokenKind::DotDot, "between the bounds of the loop range"))
    return nullptr;
  stmt->stop = parseExpr();
  if (!stmt->stop || !parseBlock("the loop over '" + stmt->name + "'", stmt->body))
    return nullptr;
  return stmt;
}

StmtPtr Parser::parseIf() {
  auto stmt = std::make_unique<Stmt>(Stmt::Kind::If, consume().loc);
  stmt->value = parseExpr();
  if (!stmt->value || !parseBlock("the 'if'", stmt->body))
    return nullptr;
  if (!consumeIf(TokenKind::KwElse))
    return stmt;
  if (tok_.is(TokenKind::KwIf)) { // else if: a nested if as the whole else-branch
    DepthScope scope(depth_);
    if (!deepen())
      return nullptr;
    StmtPtr nested = parseIf();
    if (!nested)
      return nullptr;
    stmt->elseBody.push_back(std::move(nested));
    return stmt;
  }
  if (!parseBlock("the 'else'", stmt->elseBody))
    return nullptr;
  return stmt;
}

StmtPtr Parser::parseParam() {
  auto stmt = std::make_unique<Stmt>(Stmt::Kind::Param, consume().loc);
  stmt->path = parsePath();
  if (!stmt->path || !expect(TokenKind::Colon, "after the parameter path") ||
      !parseType(stmt->type))
    return nullptr;
  return stmt;
}

ExprPtr Parser::parsePath() {
  DepthScope scope(depth_);
  if (!tok_.is(TokenKind::Identifier)) {
    errorExpected("a parameter name after 'param'");
    return nullptr;
  }
  ExprPtr path = makeExpr(Expr::Kind::Name, tok_.loc);
  path->text = std::string(consume().spelling);
  while (tok_.is(TokenKind::Dot) || tok_.is(TokenKind::LBracket)) {
    if (!deepen())
      return nullptr;
    SourceLoc loc = path->loc;
    if (consumeIf(TokenKind::Dot)) {
      ExprPtr member = makeExpr(Expr::Kind::Member, loc);
      SourceLoc nameLoc;
      if (!expectName("a member name after '.'", member->text, nameLoc))
        return nullptr;
      member->base = std::move(path);
      path = std::move(member);
      continue;
    }
    Token open = consume(); // '['
    Subscript subscript;
    subscript.loc = tok_.loc;
    subscript.index = parseExpr();
    if (!subscript.index || !expectClosing(TokenKind::RBracket, open))
      return nullptr;
    ExprPtr index = makeExpr(Expr::Kind::Index, loc);
    index->base = std::move(path);
    index->subscripts.push_back(std::move(subscript));
    path = std::move(index);
  }
  return path;
}

//===------------------------------------------------------------------------------------------===//
// Expressions
//===------------------------------------------------------------------------------------------===//

ExprPtr Parser::parseComparison() {
  DepthScope scope(depth_);
  ExprPtr lhs = parseAdditive();
  char op = 0;
  switch (tok_.kind) {
  case TokenKind::Less:
    op = kLess;
    break;
  case TokenKind::LessEqual:
    op = kLessEqual;
    break;
  case TokenKind::Greater:
    op = kGreater;
    break;
  case TokenKind::GreaterEqual:
    op = kGreaterEqual;
    break;
  case TokenKind::EqualEqual:
    op = kEqualEqual;
    break;
  case TokenKind::NotEqual:
    op = kNotEqual;
    break;
  default:
    return lhs;
  }
  if (!lhs || !deepen())
    return nullptr;
  consume();
  ExprPtr rhs = parseAdditive();
  if (!rhs)
    return nullptr;
  ExprPtr binary = makeExpr(Expr::Kind::Binary, lhs->loc);
  binary->op = op;
  binary->lhs = std::move(lhs);
  binary->rhs = std::move(rhs);
  return binary;
}

ExprPtr Parser::parseAdditive() {
  DepthScope scope(depth_);
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (tok_.is(TokenKind::Plus) || tok_.is(TokenKind::Minus))) {
    if (!deepen())
      return nullptr;
    char op = consume().spelling[0];
    ExprPtr rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    ExprPtr binary = makeExpr(Expr::Kind::Binary, lhs->loc);
    binary->op = op;
    binary->lhs = std::move(lhs);
    binary->rhs = std::move(rhs);
    lhs = std::move(binary);
  }
  return lhs;
}

ExprPtr Parser::parseMultiplicative() {
  DepthScope scope(depth_);
  ExprPtr lhs = parseUnary();
  while (lhs && (tok_.is(TokenKind::Star) || tok_.is(TokenKind::Slash) ||
                 tok_.is(TokenKind::SlashSlash) || tok_.is(TokenKind::Percent))) {
    if (!deepen())
      return nullptr;
    char op = tok_.is(TokenKind::SlashSlash) ? kFloorDiv : tok_.spelling[0];
    consume();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    ExprPtr binary = makeExpr(Expr::Kind::Binary, lhs->loc);
    binary->op = op;
    binary->lhs = std::move(lhs);
    binary->rhs = std::move(rhs);
    lhs = std::move(binary);
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  DepthScope scope(depth_);
  if (!deepen())
    return nullptr;
  if (!tok_.is(TokenKind::Minus))
    return parsePostfix();
  ExprPtr unary = makeExpr(Expr::Kind::Unary, consume().loc);
  unary->op = '-';
  unary->lhs = parseUnary();
  return unary->lhs ? std::move(unary) : nullptr;
}

ExprPtr Parser::parsePostfix() {
  DepthScope scope(depth_);
  // Calls are inlined by name, so only a bare name may be called: not `(f)(x)` or `a.b(x)`.
  bool isBareName = tok_.is(TokenKind::Identifier);
  ExprPtr expr = parsePrimary();
  while (expr) {
    if (tok_.is(TokenKind::LParen) && !isBareName) {
      std::string callee;
      std::string text = formatExpr(*expr);
      for (size_t i = 0; i < text.size() && i < kMaxQuotedExprBytes; ++i)
        callee += describeByte(static_cast<unsigned char>(text[i]));
      if (text.size() > kMaxQuotedExprBytes)
        callee += "...";
      error(tok_, "a call must name a function: found call on '" + callee + "'");
      return nullptr;
    }
    if (!tok_.is(TokenKind::Dot) && !tok_.is(TokenKind::LBracket) && !tok_.is(TokenKind::LParen))
      return expr;
    if (!deepen())
      return nullptr;
    isBareName = false;
    SourceLoc loc = expr->loc;
    Token open = consume();

    if (open.is(TokenKind::Dot)) {
      ExprPtr member = makeExpr(Expr::Kind::Member, loc);
      SourceLoc nameLoc;
      if (!expectName("a member name after '.'", member->text, nameLoc))
        return nullptr;
      member->base = std::move(expr);
      expr = std::move(member);
    } else if (open.is(TokenKind::LBracket)) {
      ExprPtr index = makeExpr(Expr::Kind::Index, loc);
      do {
        Subscript subscript;
        if (!parseSubscript(subscript))
          return nullptr;
        index->subscripts.push_back(std::move(subscript));
      } while (consumeIf(TokenKind::Comma));
      if (!expectClosing(TokenKind::RBracket, open))
        return nullptr;
      index->base = std::move(expr);
      expr = std::move(index);
    } else {
      ExprPtr call = makeExpr(Expr::Kind::Call, loc);
      call->text = std::move(expr->text);
      if (!parseCallArgs(*call) || !expectClosing(TokenKind::RParen, open))
        return nullptr;
      expr = std::move(call);
    }
  }
  return nullptr;
}

bool Parser::parseSubscript(Subscript &subscript) {
  subscript.loc = tok_.loc;
  if (tok_.is(TokenKind::Comma) || tok_.is(TokenKind::RBracket))
    return errorExpected("an index or slice");
  auto endsPart = [&] {
    return tok_.is(TokenKind::Colon) || tok_.is(TokenKind::Comma) || tok_.is(TokenKind::RBracket);
  };
  if (!tok_.is(TokenKind::Colon)) {
    ExprPtr first = parseExpr();
    if (!first)
      return false;
    if (!tok_.is(TokenKind::Colon)) {
      subscript.index = std::move(first);
      return true;
    }
    subscript.start = std::move(first);
  }
  subscript.isSlice = true;
  consume(); // ':'
  if (!endsPart() && !(subscript.stop = parseExpr()))
    return false;
  if (!consumeIf(TokenKind::Colon))
    return true;
  if (!endsPart() && !(subscript.step = parseExpr()))
    return false;
  return true;
}

bool Parser::parseCallArgs(Expr &call) {
  if (tok_.is(TokenKind::RParen))
    return true;
  // A set rather than a scan of call.kwargs: hostile input may have a million keywords.
  std::unordered_set<std::string_view> keywords;
  do {
    if (tok_.is(TokenKind::Identifier) && peek().is(TokenKind::Equal)) {
      KeywordArg kwarg;
      kwarg.loc = tok_.loc;
      if (!keywords.insert(tok_.spelling).second)
        return error(tok_, "duplicate keyword argument " + describeToken(tok_));
      kwarg.name = std::string(consume().spelling);
      consume(); // '='
      kwarg.value = parseExpr();
      if (!kwarg.value)
        return false;
      call.kwargs.push_back(std::move(kwarg));
      continue;
    }
    if (!call.kwargs.empty())
      return error(tok_, "keyword argument '" + call.kwargs.front().name +
                             "' must come after positional arguments");
    ExprPtr arg = parseExpr();
    if (!arg)
      return false;
    call.args.push_back(std::move(arg));
  } while (consumeIf(TokenKind::Comma));
  return true;
}

ExprPtr Parser::parsePrimary() {
  ExprPtr expr;
  switch (tok_.kind) {
  case TokenKind::Integer:
    expr = makeExpr(Expr::Kind::Integer, tok_.loc);
    expr->intValue = tok_.intValue;
    break;
  case TokenKind::Float:
    expr = makeExpr(Expr::Kind::Float, tok_.loc);
    expr->floatValue = tok_.floatValue;
    break;
  case TokenKind::String:
    expr = makeExpr(Expr::Kind::String, tok_.loc);
    expr->text = tok_.text;
    break;
  case TokenKind::KwTrue:
  case TokenKind::KwFalse:
    expr = makeExpr(Expr::Kind::Bool, tok_.loc);
    expr->boolValue = tok_.is(TokenKind::KwTrue);
    break;
  case TokenKind::Identifier:
    expr = makeExpr(Expr::Kind::Name, tok_.loc);
    expr->text = std::string(tok_.spelling);
    break;
  case TokenKind::LParen: {
    Token open = consume();
    expr = parseExpr();
    if (!expr || !expectClosing(TokenKind::RParen, open))
      return nullptr;
    return expr;
  }
  case TokenKind::LBracket:
    return parseList();
  default:
    errorExpected("an expression");
    return nullptr;
  }
  consume();
  return expr;
}

ExprPtr Parser::parseList() {
  Token open = consume(); // '['
  ExprPtr list = makeExpr(Expr::Kind::List, open.loc);
  // A trailing comma is allowed: `[a, b,]`.
  while (!tok_.is(TokenKind::RBracket)) {
    ExprPtr element = parseExpr();
    if (!element)
      return nullptr;
    list->args.push_back(std::move(element));
    if (!consumeIf(TokenKind::Comma))
      break;
  }
  if (!expectClosing(TokenKind::RBracket, open))
    return nullptr;
  return list;
}

} // namespace

std::optional<Program> parseProgram(const SourceFile &file, DiagnosticEngine &diags,
                                    uint32_t fileId) {
  Parser parser(file, diags, fileId);
  return parser.parseProgram();
}

} // namespace tessera::frontend
