// The DSL's built-in operations: argument binding (positional and keyword, with defaults and
// arity errors) and the construction of tess ops from them. docs/DSL.md lists them.
#ifndef TESSERA_FRONTEND_BUILTINS_H
#define TESSERA_FRONTEND_BUILTINS_H

#include "Elaborator.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::frontend {

struct Builtin;

/// Null when `name` is not a built-in.
const Builtin *findBuiltin(const std::string &name);

std::optional<Val> callBuiltin(Elaborator &el, const Builtin &builtin, const Expr &call,
                               const std::vector<Val> &args, const std::vector<SourceLoc> &argLocs,
                               const std::vector<std::pair<std::string, Val>> &kwargs);

/// `op` is one of + - * / : builds the broadcasting tess op after checking shapes.
std::optional<Val> buildBinary(Elaborator &el, char op, mlir::Value lhs, mlir::Value rhs,
                               SourceLoc loc);

/// Tensor comparisons (kLess ...) and floor division (kFloorDiv, floats only).
std::optional<Val> buildTensorOperator(Elaborator &el, char op, mlir::Value lhs, mlir::Value rhs,
                                       SourceLoc loc);

/// One line per built-in: its signature and meaning (for --help and docs).
std::vector<std::string> builtinSignatures();

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_BUILTINS_H
