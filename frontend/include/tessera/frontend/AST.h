// The abstract syntax tree of a Tessera graph file (.tg). Produced by the Parser, consumed by
// MLIRGen, which elaborates it (evaluates config arithmetic, inlines fns, unrolls fors) into the
// tess dialect. The AST knows nothing about MLIR.
#ifndef TESSERA_FRONTEND_AST_H
#define TESSERA_FRONTEND_AST_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::frontend {

/// 1-based line and column of the first character of a construct, in the file that
/// DiagnosticEngine::file(file) names (0: the file given to the compiler; imports follow).
struct SourceLoc {
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t file = 0;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One subscript of an index expression: either a plain expression (`x[0]`, `blocks[i]`) or a
/// python-style slice `start:stop:step` whose parts may each be absent (`x[:, 1:]`).
struct Subscript {
  SourceLoc loc;
  bool isSlice = false;
  ExprPtr index;             // when !isSlice
  ExprPtr start, stop, step; // when isSlice; each may be null
};

/// A keyword argument `name = value` in a call.
struct KeywordArg {
  SourceLoc loc;
  std::string name;
  ExprPtr value;
};

struct Expr {
  enum class Kind {
    Integer, // 42
    Float,   // 1e-6, 0.5
    String,  // "tanh"
    Bool,    // true / false
    Name,    // x
    Member,  // base.name        (parameter paths: p.norm1.weight)
    Index,   // base[subscripts] (slicing tensors, indexing parameter lists: blocks[i])
    Call,    // callee(args, name = value)
    Unary,   // -operand
    Binary,  // lhs op rhs, op one of + - * / % and binaryOpCode() of // < <= > >= == !=
    List,    // [a, b, c]
  };

  Kind kind;
  SourceLoc loc;

  int64_t intValue = 0;    // Integer
  double floatValue = 0.0; // Float
  bool boolValue = false;  // Bool
  std::string text;        // String contents, Name, Member's member name, Call's callee name
  char op = 0;             // Unary ('-') and Binary ('+', '-', '*', '/', '%', or a code below)

  ExprPtr base;                      // Member, Index
  ExprPtr lhs, rhs;                  // Binary (lhs, rhs); Unary (lhs only)
  std::vector<Subscript> subscripts; // Index
  std::vector<ExprPtr> args;         // Call positional args; List elements
  std::vector<KeywordArg> kwargs;    // Call keyword args

  Expr(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
};

/// One-character codes of the binary operators spelled with two characters or compared:
/// '//' floor division, and the comparisons.
inline constexpr char kFloorDiv = 'F', kLess = '<', kLessEqual = 'L', kGreater = '>',
                      kGreaterEqual = 'G', kEqualEqual = 'E', kNotEqual = 'N';

/// The source spelling of a binary operator code ("//", "<=", ...).
inline const char *binaryOpSpelling(char op) {
  switch (op) {
  case '+':
    return "+";
  case '-':
    return "-";
  case '*':
    return "*";
  case '/':
    return "/";
  case '%':
    return "%";
  case kFloorDiv:
    return "//";
  case kLess:
    return "<";
  case kLessEqual:
    return "<=";
  case kGreater:
    return ">";
  case kGreaterEqual:
    return ">=";
  case kEqualEqual:
    return "==";
  case kNotEqual:
    return "!=";
  }
  return "?";
}

/// `f32[B, T, D / H]`: an element type and a static shape of config expressions.
struct TensorTypeExpr {
  SourceLoc loc;
  std::string dtype; // "f32", "i32", "i64"
  std::vector<ExprPtr> dims;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
  enum class Kind {
    Assign, // name = value
    Return, // return v1, v2
    For,    // for var in start .. stop { body }
    Param,  // param path: type
    If,     // if value { body } else { elseBody }
  };

  Kind kind;
  SourceLoc loc;

  std::string name;              // Assign target; For loop variable
  ExprPtr value;                 // Assign value
  std::vector<ExprPtr> values;   // Return values
  ExprPtr start, stop;           // For range [start, stop)
  std::vector<StmtPtr> body;     // For body; If's then-branch
  std::vector<StmtPtr> elseBody; // If's else-branch (may be empty)
  ExprPtr path;        // Param: a Name / Member / Index chain, e.g. blocks[i].norm1.weight
  TensorTypeExpr type; // Param

  Stmt(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
};

/// `config a = 1, b = a * 2`: constants usable in shapes, overridable with -D.
struct ConfigEntry {
  SourceLoc loc;
  std::string name;
  ExprPtr value;
};

/// `fn name(a, b, c = 1) { ... }`: a reusable block, inlined at every call. Arguments bind by
/// position or by name, as a builtin's do; a parameter with a default may be left out, and its
/// default is evaluated at each call with the parameters before it already bound.
struct FnDecl {
  SourceLoc loc;
  std::string name;
  std::vector<std::string> params;
  std::vector<SourceLoc> paramLocs;
  std::vector<ExprPtr> defaults; // one per parameter; null where the parameter has none
  std::vector<StmtPtr> body;
};

/// `import "layers/lambda.tg"`: the fns, configs and params of another file, found relative to
/// the importing file's directory. Resolved by loadProgram() (Imports.h), which merges the
/// imported declarations into the program and empties this list.
struct ImportDecl {
  SourceLoc loc;
  std::string path;
};

/// One named, typed graph input or output.
struct GraphArg {
  SourceLoc loc;
  std::string name;
  TensorTypeExpr type;
};

/// `graph name(inputs) -> (outputs) { ... }`: the entry point that becomes the compiled module.
struct GraphDecl {
  SourceLoc loc;
  std::string name;
  std::vector<GraphArg> inputs;
  std::vector<GraphArg> outputs;
  std::vector<StmtPtr> body;
};

/// `preprocess "--preset inception"`: how images become the graph's inputs and how its
/// outputs become images, as tessera run's image flags (a string expression: configs allowed).
struct PreprocessDecl {
  SourceLoc loc;
  ExprPtr flags;
};

/// A whole .tg file, declarations in source order.
struct Program {
  std::vector<ImportDecl> imports; // unresolved imports (parseProgram); empty after loadProgram
  std::vector<ConfigEntry> configs;
  std::vector<PreprocessDecl> preprocess; // at most one is allowed (checked at elaboration)
  std::vector<StmtPtr> params;            // top-level `param` statements
  std::vector<FnDecl> fns;
  std::vector<GraphDecl> graphs;
};

/// Renders an expression as source text. Unary and binary operations are always parenthesized,
/// so the result shows the tree's shape (`((-2) * x)`) and parses back to the same tree.
/// String contents are written as they are (only `"`, `\` and newline escaped), so a caller that
/// quotes the result in a message should replace non-printable bytes.
std::string formatExpr(const Expr &expr);

/// Renders a program as source text, one construct per line, indented by two spaces per block:
/// imports and configs first, then params, fns and graphs, each group in source order. Parses back
/// to an equal program; used in tests and AST dumps.
std::string formatProgram(const Program &program);

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_AST_H
