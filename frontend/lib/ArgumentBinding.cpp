#include "ArgumentBinding.h"

namespace tessera::frontend {

std::optional<BoundArgs> bindArguments(Elaborator &el, const std::string &callee,
                                       llvm::ArrayRef<ParamSpec> params, const Expr &call,
                                       const std::vector<Val> &args,
                                       const std::vector<SourceLoc> &argLocs,
                                       const std::vector<std::pair<std::string, Val>> &kwargs,
                                       llvm::function_ref<std::string()> usage) {
  size_t n = params.size();
  if (args.size() > n) {
    el.error(argLocs[n], callee + " takes at most " + std::to_string(n) +
                             (n == 1 ? " argument" : " arguments") + ", got " +
                             std::to_string(args.size()) + "; usage: " + usage());
    return std::nullopt;
  }
  BoundArgs bound;
  bound.values.resize(n);
  bound.locs.assign(n, call.loc);
  for (size_t i = 0; i < args.size(); ++i)
    bound.values[i] = args[i], bound.locs[i] = argLocs[i];
  for (size_t k = 0; k < kwargs.size(); ++k) {
    const auto &[name, value] = kwargs[k];
    SourceLoc at = k < call.kwargs.size() ? call.kwargs[k].loc : call.loc;
    size_t idx = n;
    for (size_t i = 0; i < n; ++i)
      if (name == params[i].name)
        idx = i;
    if (idx == n) {
      el.error(at, callee + " has no argument '" + name + "'; usage: " + usage());
      return std::nullopt;
    }
    if (bound.values[idx]) {
      el.error(at, "argument '" + name + "' of " + callee + " is given twice");
      return std::nullopt;
    }
    bound.values[idx] = value;
    bound.locs[idx] = at;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!bound.values[i] && params[i].required) {
      el.error(call.loc,
               callee + " is missing argument '" + params[i].name + "'; usage: " + usage());
      return std::nullopt;
    }
  }
  return bound;
}

} // namespace tessera::frontend
