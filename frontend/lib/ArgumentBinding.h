// Binding a call's arguments to the callee's parameters, one rule for builtins and fns alike:
// positional arguments first, in order, then keyword arguments by name.
#ifndef TESSERA_FRONTEND_ARGUMENTBINDING_H
#define TESSERA_FRONTEND_ARGUMENTBINDING_H

#include "Elaborator.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::frontend {

/// One declared parameter of a callee.
struct ParamSpec {
  std::string name;
  bool required; // false: the callee has a default for it
};

/// A call's arguments as the callee's parameters see them.
struct BoundArgs {
  std::vector<std::optional<Val>> values; // one per parameter; empty where left to its default
  std::vector<SourceLoc> locs;            // where each value came from (the call when defaulted)
};

/// Binds `args` (at `argLocs`) by position and `kwargs` (at call.kwargs' locations) by name to
/// `params`. Reports at the offending argument, naming `callee` ("relu", "fn 'block'") and
/// ending in "; usage: " + `usage()` (called only to report, as building it is not free): more
/// positional arguments than parameters, a keyword that names no parameter, a parameter given
/// twice, and a required parameter left out. Returns std::nullopt after reporting.
std::optional<BoundArgs> bindArguments(Elaborator &el, const std::string &callee,
                                       llvm::ArrayRef<ParamSpec> params, const Expr &call,
                                       const std::vector<Val> &args,
                                       const std::vector<SourceLoc> &argLocs,
                                       const std::vector<std::pair<std::string, Val>> &kwargs,
                                       llvm::function_ref<std::string()> usage);

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_ARGUMENTBINDING_H
