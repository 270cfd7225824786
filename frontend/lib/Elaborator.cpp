#include "Elaborator.h"

#include "ArgumentBinding.h"
#include "Builtins.h"

#include "tessera/Limits.h"
#include "tessera/frontend/Parser.h"
#include "tessera/ir/GraphAttributes.h"
#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SHA256.h"

#include <array>
#include <cmath>
#include <limits>
#include <sstream>

using namespace mlir;

namespace tessera::frontend {

namespace {
constexpr unsigned kMaxCallDepth = 64;
constexpr int64_t kMaxLoopTrips = 100000;
constexpr int64_t kMaxDim = int64_t(1) << 40;

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

std::string typeString(Type t) {
  auto tt = cast<RankedTensorType>(t);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << tt.getElementType();
  return s + tess::formatShape(tt.getShape());
}
} // namespace

std::string describe(const Val &v) {
  switch (v.kind) {
  case Val::Kind::Int:
    return "an integer (" + std::to_string(v.i) + ")";
  case Val::Kind::Float:
    return "a number";
  case Val::Kind::Bool:
    return "a boolean";
  case Val::Kind::String:
    return "a string";
  case Val::Kind::List:
    return "a list";
  case Val::Kind::Tensor:
    return "a tensor " + typeString(v.tensor.getType());
  case Val::Kind::Path:
    return "the parameter path '" + v.s + "'";
  }
  return "a value";
}

Elaborator::Elaborator(MLIRContext &context, const Program &program, const SourceFile &file,
                       DiagnosticEngine &diags)
    : context_(context), program_(program), file_(file), diags_(diags), builder_(&context) {}

Location Elaborator::loc(SourceLoc l) {
  return FileLineColLoc::get(&context_, diags_.file(l.file).path(), l.line, l.col);
}

bool Elaborator::error(SourceLoc l, const std::string &message) {
  diags_.error(l, message);
  return false;
}

void Elaborator::note(SourceLoc l, const std::string &message) { diags_.note(l, message); }

OwningOpRef<ModuleOp> Elaborator::run(const MLIRGenOptions &options) {
  maxTensorBytes_ = std::min(options.maxTensorBytes, limits::kMaxTensorBytes);
  maxStatements_ = options.maxStatements;
  if (!program_.imports.empty()) {
    error(program_.imports.front().loc,
          "import is not resolved here: the program must be read with loadProgram()");
    return nullptr;
  }
  // Fns first so that configs and graphs may refer to any of them.
  for (const FnDecl &fn : program_.fns) {
    if (findBuiltin(fn.name)) {
      error(fn.loc, "fn '" + fn.name + "' has the name of a built-in operation");
      return nullptr;
    }
    if (!fns_.emplace(fn.name, &fn).second) {
      error(fn.loc, "fn '" + fn.name + "' is defined twice");
      note(fns_[fn.name]->loc, "first defined here");
      return nullptr;
    }
  }
  if (!evalConfigs(options))
    return nullptr;

  const GraphDecl *graph = nullptr;
  if (program_.graphs.empty()) {
    error(SourceLoc{}, "no graph in file: expected `graph NAME(inputs) -> (outputs) { ... }`");
    return nullptr;
  }
  if (options.graphName.empty()) {
    if (program_.graphs.size() > 1) {
      std::string names;
      for (const GraphDecl &g : program_.graphs)
        names += (names.empty() ? "" : ", ") + g.name;
      error(program_.graphs[1].loc,
            "the file defines several graphs (" + names + "); choose one with --graph");
      return nullptr;
    }
    graph = &program_.graphs.front();
  } else {
    for (const GraphDecl &g : program_.graphs)
      if (g.name == options.graphName)
        graph = &g;
    if (!graph) {
      error(SourceLoc{}, "no graph named '" + options.graphName + "' in the file");
      return nullptr;
    }
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc(graph->loc));
  builder_.setInsertionPointToEnd(module->getBody());
  func::FuncOp func = buildGraph(*graph);
  if (!func)
    return nullptr;

  // Record the effective configuration: `tessera dump` and tests read it back.
  SmallVector<NamedAttribute> configAttrs;
  for (const auto &[name, v] : configs_) {
    Attribute a;
    if (v.kind == Val::Kind::Int)
      a = builder_.getI64IntegerAttr(v.i);
    else if (v.kind == Val::Kind::Float)
      a = builder_.getF64FloatAttr(v.f);
    else if (v.kind == Val::Kind::Bool)
      a = builder_.getBoolAttr(v.b);
    else if (v.kind == Val::Kind::String)
      a = builder_.getStringAttr(v.s);
    if (a)
      configAttrs.push_back(builder_.getNamedAttr(name, a));
  }
  (*module)->setAttr("tess.config", builder_.getDictionaryAttr(configAttrs));
  (*module)->setAttr("tess.graph", builder_.getStringAttr(graph->name));
  // Where the graph came from, for the module's build record: the file compiled, then the
  // files it imports, in the order they were read.
  SmallVector<Attribute> sources;
  for (uint32_t i = 0; i < diags_.fileCount(); ++i) {
    const SourceFile &source = diags_.file(i);
    llvm::SHA256 hasher;
    hasher.update(llvm::StringRef(source.text()));
    std::array<uint8_t, 32> digest = hasher.final();
    sources.push_back(builder_.getDictionaryAttr(
        {builder_.getNamedAttr("path", builder_.getStringAttr(source.path())),
         builder_.getNamedAttr("sha256",
                               builder_.getStringAttr(llvm::toHex(digest, /*LowerCase=*/true)))}));
  }
  (*module)->setAttr(kSourcesAttr, builder_.getArrayAttr(sources));
  if (!program_.preprocess.empty()) {
    const PreprocessDecl &decl = program_.preprocess.front();
    if (program_.preprocess.size() > 1) {
      error(program_.preprocess[1].loc, "preprocess is declared twice");
      note(decl.loc, "first declared here");
      return nullptr;
    }
    Scope empty;
    std::optional<Val> flags = eval(*decl.flags, empty);
    if (!flags)
      return nullptr;
    if (flags->kind != Val::Kind::String) {
      error(decl.flags->loc, "preprocess needs a string of image flags (e.g. \"--preset "
                             "inception\"), not " +
                                 describe(*flags));
      return nullptr;
    }
    // The flags are checked by the driver, which knows them; it reports at this location.
    (*module)->setAttr(kPreprocessAttr, builder_.getStringAttr(flags->s));
    (*module)->setAttr(kPreprocessLocAttr,
                       builder_.getStringAttr(diags_.file(decl.loc.file).path() + ":" +
                                              std::to_string(decl.loc.line) + ":" +
                                              std::to_string(decl.loc.col)));
  }

  if (failed(verify(*module))) {
    error(graph->loc, "internal error: the generated IR does not verify");
    return nullptr;
  }
  return module;
}

//===----------------------------------------------------------------------===//
// Config and parameters
//===----------------------------------------------------------------------===//

std::optional<Val> parseLiteral(const std::string &text) {
  if (text == "true")
    return Val::ofBool(true);
  if (text == "false")
    return Val::ofBool(false);
  if (text.empty())
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  long long iv = std::strtoll(text.c_str(), &end, 10);
  if (errno == 0 && end && *end == '\0')
    return Val::ofInt(iv);
  errno = 0;
  double fv = std::strtod(text.c_str(), &end);
  if (errno == 0 && end && *end == '\0' && std::isfinite(fv))
    return Val::ofFloat(fv);
  std::string s = text;
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
    s = s.substr(1, s.size() - 2);
  return Val::ofString(s);
}

bool Elaborator::evalConfigs(const MLIRGenOptions &options) {
  std::map<std::string, SourceLoc> seen;
  for (const ConfigEntry &c : program_.configs) {
    if (!seen.emplace(c.name, c.loc).second) {
      error(c.loc, "config '" + c.name + "' is defined twice");
      note(seen[c.name], "first defined here");
      return false;
    }
    Scope empty;
    std::optional<Val> v;
    auto it = options.configOverrides.find(c.name);
    if (it != options.configOverrides.end()) {
      v = parseLiteral(it->second);
      if (!v)
        return error(c.loc, "-D " + c.name + "= needs a value");
    } else {
      v = eval(*c.value, empty);
      if (!v)
        return false;
    }
    if (v->kind == Val::Kind::Tensor || v->kind == Val::Kind::Path)
      return error(c.value->loc, "config '" + c.name +
                                     "' must be a number, boolean, string "
                                     "or list, not " +
                                     describe(*v));
    configs_[c.name] = *v;
  }
  for (const auto &[name, value] : options.configOverrides) {
    if (!configs_.count(name)) {
      std::string known;
      for (const ConfigEntry &c : program_.configs)
        known += (known.empty() ? "" : ", ") + c.name;
      return error(SourceLoc{}, "-D " + name + ": no config named '" + name + "' in " +
                                    file_.path() +
                                    (known.empty() ? "" : " (it has: " + known + ")"));
    }
  }
  return true;
}

std::optional<Type> Elaborator::elementType(const TensorTypeExpr &type) {
  if (type.dtype == "f32")
    return builder_.getF32Type();
  if (type.dtype == "i32")
    return builder_.getI32Type();
  if (type.dtype == "i64")
    return builder_.getI64Type();
  error(type.loc, "unknown element type '" + type.dtype + "'; expected f32, i32 or i64");
  return std::nullopt;
}

std::optional<std::vector<int64_t>> Elaborator::evalShape(const TensorTypeExpr &type,
                                                          Scope &scope) {
  std::vector<int64_t> shape;
  if (std::string problem = tess::rankLimitCheck(type.dims.size()); !problem.empty()) {
    error(type.loc, problem);
    return std::nullopt;
  }
  for (const ExprPtr &d : type.dims) {
    std::optional<Val> v = eval(*d, scope);
    if (!v)
      return std::nullopt;
    if (v->kind != Val::Kind::Int) {
      error(d->loc, "a dimension must be an integer, got " + describe(*v));
      return std::nullopt;
    }
    if (v->i <= 0 || v->i > kMaxDim) {
      error(d->loc, "dimension " + std::to_string(v->i) + " is out of range (1 .. 2^40)");
      return std::nullopt;
    }
    shape.push_back(v->i);
  }
  if (tess::numElements(shape) < 0) {
    error(type.loc, "tensor has too many elements");
    return std::nullopt;
  }
  return shape;
}

std::optional<Value> Elaborator::findParam(const std::string &path) {
  auto it = params_.find(path);
  if (it == params_.end())
    return std::nullopt;
  return it->second.value;
}

std::optional<Value> Elaborator::declareParam(const std::string &path, ArrayRef<int64_t> shape,
                                              Type elementType, SourceLoc l) {
  auto type = RankedTensorType::get(shape, elementType);
  auto it = params_.find(path);
  if (it != params_.end()) {
    if (it->second.value.getType() != type) {
      error(l, "parameter '" + path + "' is declared as " + typeString(type) +
                   " but was declared before as " + typeString(it->second.value.getType()));
      note(it->second.declaredAt, "previous declaration");
      return std::nullopt;
    }
    return it->second.value;
  }
  if (!graphBlock_) {
    error(l, "internal error: parameter declared outside a graph");
    return std::nullopt;
  }
  if (graphBlock_->getNumArguments() >= limits::kMaxGraphArguments) {
    error(l, "parameter '" + path + "' makes the graph's inputs and parameters more than " +
                 std::to_string(limits::kMaxGraphArguments) + ", the compiler's limit");
    return std::nullopt;
  }
  Value arg = graphBlock_->addArgument(type, loc(l));
  params_[path] = Param{arg, l};
  paramOrder_.push_back(path);
  return arg;
}

bool Elaborator::evalTopLevelParams() {
  Scope scope;
  for (const StmtPtr &p : program_.params)
    if (!execParam(*p, scope))
      return false;
  return true;
}

bool Elaborator::execParam(const Stmt &stmt, Scope &scope) {
  std::optional<Val> path = eval(*stmt.path, scope);
  if (!path)
    return false;
  if (path->kind != Val::Kind::Path)
    return error(stmt.path->loc, "`param` needs a parameter path such as blocks[i].norm.weight, "
                                 "got " +
                                     describe(*path));
  std::optional<Type> et = elementType(stmt.type);
  if (!et)
    return false;
  std::optional<std::vector<int64_t>> shape = evalShape(stmt.type, scope);
  if (!shape)
    return false;
  if (!checkTensorType(RankedTensorType::get(*shape, *et), stmt.loc, "parameter '" + path->s + "'"))
    return false;
  return declareParam(path->s, *shape, *et, stmt.loc).has_value();
}

Value Elaborator::scalarConstant(double value, SourceLoc l) {
  return scalarConstant(value, builder_.getF32Type(), l);
}

Value Elaborator::scalarConstant(double value, Type elementType, SourceLoc l) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute v;
  if (isa<FloatType>(elementType))
    v = builder_.getFloatAttr(elementType, value);
  else
    v = builder_.getIntegerAttr(elementType, int64_t(value));
  return builder_.create<tess::ConstantOp>(loc(l), DenseElementsAttr::get(type, v));
}

std::optional<Value> Elaborator::asTensorLike(const Val &v, SourceLoc l, const std::string &what,
                                              Type elementType) {
  if (v.isNumber()) {
    if (auto it = dyn_cast<IntegerType>(elementType); it && it.getWidth() > 1) {
      if (!tess::fitsSignedInteger(v.number(), it.getWidth())) {
        error(l, what + ": " + describe(v) + " does not fit in the tensor's element type i" +
                     std::to_string(it.getWidth()));
        return std::nullopt;
      }
    }
    return scalarConstant(v.number(), elementType, l);
  }
  return asTensor(v, l, what);
}

std::optional<Value> Elaborator::asTensor(const Val &v, SourceLoc l, const std::string &what) {
  switch (v.kind) {
  case Val::Kind::Tensor:
    return v.tensor;
  case Val::Kind::Int:
  case Val::Kind::Float:
    return scalarConstant(v.number(), l);
  case Val::Kind::Path: {
    if (std::optional<Value> p = findParam(v.s))
      return p;
    if (v.s.find('.') == std::string::npos)
      error(l, "unknown name '" + v.s + "'");
    else
      error(l, "unknown parameter '" + v.s + "': declare it with `param " + v.s +
                   ": f32[...]` or let an op declare it");
    return std::nullopt;
  }
  default:
    error(l, what + " must be a tensor, got " + describe(v));
    return std::nullopt;
  }
}

//===----------------------------------------------------------------------===//
// Graphs and statements
//===----------------------------------------------------------------------===//

func::FuncOp Elaborator::buildGraph(const GraphDecl &graph) {
  std::map<std::string, SourceLoc> names;
  SmallVector<Type> inputTypes;
  if (graph.inputs.size() > limits::kMaxGraphArguments) {
    error(graph.inputs[limits::kMaxGraphArguments].loc,
          "graph '" + graph.name + "' has " + std::to_string(graph.inputs.size()) +
              " inputs; the limit is " + std::to_string(limits::kMaxGraphArguments) +
              " inputs and parameters together");
    return nullptr;
  }
  for (const GraphArg &a : graph.inputs) {
    if (!names.emplace(a.name, a.loc).second) {
      error(a.loc, "graph input '" + a.name + "' is declared twice");
      return nullptr;
    }
    std::optional<Type> et = elementType(a.type);
    Scope empty;
    std::optional<std::vector<int64_t>> shape = evalShape(a.type, empty);
    if (!et || !shape)
      return nullptr;
    inputTypes.push_back(RankedTensorType::get(*shape, *et));
    if (!checkTensorType(inputTypes.back(), a.loc, "input '" + a.name + "'"))
      return nullptr;
  }
  SmallVector<Type> outputTypes;
  std::map<std::string, SourceLoc> outNames;
  for (const GraphArg &a : graph.outputs) {
    if (!outNames.emplace(a.name, a.loc).second) {
      error(a.loc, "graph output '" + a.name + "' is declared twice");
      return nullptr;
    }
    std::optional<Type> et = elementType(a.type);
    Scope empty;
    std::optional<std::vector<int64_t>> shape = evalShape(a.type, empty);
    if (!et || !shape)
      return nullptr;
    outputTypes.push_back(RankedTensorType::get(*shape, *et));
    if (!checkTensorType(outputTypes.back(), a.loc, "output '" + a.name + "'"))
      return nullptr;
  }

  auto func = builder_.create<func::FuncOp>(loc(graph.loc), graph.name,
                                            builder_.getFunctionType(inputTypes, outputTypes));
  graphBlock_ = func.addEntryBlock();
  OpBuilder::InsertionGuard guard(builder_);
  builder_.setInsertionPointToStart(graphBlock_);

  if (!evalTopLevelParams()) {
    func.erase();
    return nullptr;
  }

  Scope scope;
  for (size_t i = 0; i < graph.inputs.size(); ++i)
    scope[graph.inputs[i].name] = Val::ofTensor(graphBlock_->getArgument(i));

  std::optional<std::vector<Val>> returned;
  if (!execBlock(graph.body, scope, returned)) {
    func.erase();
    return nullptr;
  }
  if (!returned) {
    error(graph.loc, "graph '" + graph.name + "' has no return statement");
    func.erase();
    return nullptr;
  }
  if (returned->size() != graph.outputs.size()) {
    error(graph.loc, "graph '" + graph.name + "' declares " + std::to_string(graph.outputs.size()) +
                         " outputs but returns " + std::to_string(returned->size()));
    func.erase();
    return nullptr;
  }
  SmallVector<Value> results;
  for (size_t i = 0; i < returned->size(); ++i) {
    const GraphArg &out = graph.outputs[i];
    std::optional<Value> t = asTensor((*returned)[i], out.loc, "output '" + out.name + "'");
    if (!t) {
      func.erase();
      return nullptr;
    }
    if (t->getType() != outputTypes[i]) {
      error(out.loc, "output '" + out.name + "' is declared " + typeString(outputTypes[i]) +
                         " but the graph returns " + typeString(t->getType()));
      func.erase();
      return nullptr;
    }
    results.push_back(*t);
  }
  builder_.create<func::ReturnOp>(loc(graph.loc), results);

  SmallVector<Type> argTypes(graphBlock_->getArgumentTypes());
  func.setFunctionType(builder_.getFunctionType(argTypes, outputTypes));
  // All at once: setArgAttr rebuilds the whole attribute array per call (quadratic in the
  // number of inputs and parameters).
  SmallVector<Attribute> argAttrs, resultAttrs;
  auto named = [&](StringRef attr, StringRef value) {
    return builder_.getDictionaryAttr(builder_.getNamedAttr(attr, builder_.getStringAttr(value)));
  };
  for (const GraphArg &in : graph.inputs)
    argAttrs.push_back(named(kInputAttr, in.name));
  for (const std::string &p : paramOrder_)
    argAttrs.push_back(named(kParamAttr, p));
  for (const GraphArg &out : graph.outputs)
    resultAttrs.push_back(named(kOutputAttr, out.name));
  func.setAllArgAttrs(argAttrs);
  func.setAllResultAttrs(resultAttrs);
  return func;
}

bool Elaborator::execBlock(const std::vector<StmtPtr> &body, Scope &scope,
                           std::optional<std::vector<Val>> &returned) {
  for (const StmtPtr &s : body) {
    if (!execStmt(*s, scope, returned))
      return false;
    if (returned)
      return true;
  }
  return true;
}

bool Elaborator::execStmt(const Stmt &stmt, Scope &scope,
                          std::optional<std::vector<Val>> &returned) {
  // Nested loops multiply: bound the whole elaboration so that no program can hang the
  // compiler (the largest seed model executes about 10^4 statements).
  if (++executedStatements_ > maxStatements_)
    return error(stmt.loc, "the program runs more than " + std::to_string(maxStatements_) +
                               " statements while being elaborated (loops nested too deep?)");
  switch (stmt.kind) {
  case Stmt::Kind::Assign: {
    // A fn's names are its own (a layer imported from another file cannot know the importer's
    // configs), so there an assignment shadows a config; in a graph it is a mistake.
    if (callDepth_ == 0 && configs_.count(stmt.name) && !scope.count(stmt.name))
      return error(stmt.loc, "cannot assign to config '" + stmt.name + "'");
    std::optional<Val> v = eval(*stmt.value, scope);
    if (!v)
      return false;
    scope[stmt.name] = *v;
    return true;
  }
  case Stmt::Kind::Return: {
    std::vector<Val> values;
    for (const ExprPtr &e : stmt.values) {
      std::optional<Val> v = eval(*e, scope);
      if (!v)
        return false;
      values.push_back(*v);
    }
    returned = std::move(values);
    return true;
  }
  case Stmt::Kind::For: {
    std::optional<Val> lo = eval(*stmt.start, scope);
    if (!lo)
      return false;
    std::optional<Val> hi = eval(*stmt.stop, scope);
    if (!hi)
      return false;
    if (lo->kind != Val::Kind::Int)
      return error(stmt.start->loc, "loop bounds must be integers, got " + describe(*lo));
    if (hi->kind != Val::Kind::Int)
      return error(stmt.stop->loc, "loop bounds must be integers, got " + describe(*hi));
    // The trip count in unsigned arithmetic: hi - lo of two int64 can exceed INT64_MAX.
    uint64_t trips = hi->i > lo->i ? uint64_t(hi->i) - uint64_t(lo->i) : 0;
    if (trips > uint64_t(kMaxLoopTrips))
      return error(stmt.loc, "loop runs " + std::to_string(trips) + " times; the limit is " +
                                 std::to_string(kMaxLoopTrips));
    for (int64_t i = lo->i; i < hi->i; ++i) {
      scope[stmt.name] = Val::ofInt(i);
      if (!execBlock(stmt.body, scope, returned))
        return false;
      if (returned)
        return true;
    }
    return true;
  }
  case Stmt::Kind::Param:
    return execParam(stmt, scope);
  case Stmt::Kind::If: {
    std::optional<Val> cond = eval(*stmt.value, scope);
    if (!cond)
      return false;
    bool taken;
    if (cond->kind == Val::Kind::Bool)
      taken = cond->b;
    else if (cond->kind == Val::Kind::Int)
      taken = cond->i != 0;
    else
      return error(stmt.value->loc, "an 'if' condition must be a compile-time boolean or "
                                    "integer (configs, sizes), got " +
                                        describe(*cond));
    return execBlock(taken ? stmt.body : stmt.elseBody, scope, returned);
  }
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

bool Elaborator::checkTensorType(Type type, SourceLoc l, const std::string &what) {
  auto tt = cast<RankedTensorType>(type);
  unsigned bytes = std::max<unsigned>(1, tt.getElementTypeBitWidth() / 8);
  std::string problem = tess::tensorLimitCheck(tt.getShape(), bytes, maxTensorBytes_);
  if (problem.empty())
    return true;
  return error(l, what + ": " + problem);
}

std::optional<Val> Elaborator::eval(const Expr &e, Scope &scope) {
  std::optional<Val> v = evalUnchecked(e, scope);
  // Every tensor an expression makes is within the shared limits, so no later layer sees a
  // rank or a size the runtime would refuse.
  if (v && v->kind == Val::Kind::Tensor &&
      !checkTensorType(v->tensor.getType(), e.loc, "this expression's result"))
    return std::nullopt;
  return v;
}

std::optional<Val> Elaborator::evalUnchecked(const Expr &e, Scope &scope) {
  switch (e.kind) {
  case Expr::Kind::Integer:
    return Val::ofInt(e.intValue);
  case Expr::Kind::Float:
    return Val::ofFloat(e.floatValue);
  case Expr::Kind::String:
    return Val::ofString(e.text);
  case Expr::Kind::Bool:
    return Val::ofBool(e.boolValue);
  case Expr::Kind::Name:
    return evalName(e, scope);
  case Expr::Kind::Member: {
    std::optional<Val> base = eval(*e.base, scope);
    if (!base)
      return std::nullopt;
    if (base->kind != Val::Kind::Path) {
      error(e.loc, "'." + e.text + "' applies to parameter paths, not to " + describe(*base));
      return std::nullopt;
    }
    return Val::ofPath(base->s.empty() ? e.text : base->s + "." + e.text);
  }
  case Expr::Kind::Index:
    return evalIndex(e, scope);
  case Expr::Kind::Call:
    return evalCall(e, scope);
  case Expr::Kind::Unary:
    return evalUnary(e, scope);
  case Expr::Kind::Binary:
    return evalBinary(e, scope);
  case Expr::Kind::List: {
    std::vector<Val> items;
    for (const ExprPtr &a : e.args) {
      std::optional<Val> v = eval(*a, scope);
      if (!v)
        return std::nullopt;
      items.push_back(*v);
    }
    return Val::ofList(std::move(items));
  }
  }
  return std::nullopt;
}

std::optional<Val> Elaborator::evalName(const Expr &e, Scope &scope) {
  if (auto it = scope.find(e.text); it != scope.end())
    return it->second;
  if (auto it = configs_.find(e.text); it != configs_.end())
    return it->second;
  if (fns_.count(e.text) || findBuiltin(e.text)) {
    error(e.loc, "'" + e.text + "' is a function; call it with (...)");
    return std::nullopt;
  }
  // Anything else names the root of a parameter path; it is resolved when used as a tensor.
  return Val::ofPath(e.text);
}

std::optional<Val> Elaborator::evalIndex(const Expr &e, Scope &scope) {
  std::optional<Val> base = eval(*e.base, scope);
  if (!base)
    return std::nullopt;
  if (base->kind == Val::Kind::Path && findParam(base->s))
    base = Val::ofTensor(*findParam(base->s));
  if (base->kind == Val::Kind::Tensor)
    return sliceTensor(e, base->tensor, scope);
  if (e.subscripts.size() != 1 || e.subscripts[0].isSlice) {
    error(e.loc, "only tensors can be sliced; " + describe(*base) + " takes one index");
    return std::nullopt;
  }
  std::optional<Val> idx = eval(*e.subscripts[0].index, scope);
  if (!idx)
    return std::nullopt;
  if (idx->kind != Val::Kind::Int) {
    error(e.subscripts[0].loc, "an index must be an integer, got " + describe(*idx));
    return std::nullopt;
  }
  if (base->kind == Val::Kind::Path)
    return Val::ofPath(base->s.empty() ? std::to_string(idx->i)
                                       : base->s + "." + std::to_string(idx->i));
  if (base->kind == Val::Kind::List) {
    int64_t n = base->list.size(), i = idx->i < 0 ? idx->i + n : idx->i;
    if (i < 0 || i >= n) {
      error(e.subscripts[0].loc, "index " + std::to_string(idx->i) +
                                     " is out of range for a list of " + std::to_string(n));
      return std::nullopt;
    }
    return base->list[i];
  }
  error(e.loc, "cannot index " + describe(*base));
  return std::nullopt;
}

std::optional<Val> Elaborator::sliceTensor(const Expr &e, Value tensor, Scope &scope) {
  ArrayRef<int64_t> shape = tensorType(tensor).getShape();
  if (e.subscripts.size() > shape.size()) {
    error(e.loc, "too many indices (" + std::to_string(e.subscripts.size()) +
                     ") for a tensor of rank " + std::to_string(shape.size()));
    return std::nullopt;
  }
  SmallVector<int64_t> starts, limits, strides, resultShape;
  bool dropsDims = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t n = shape[d];
    if (d >= e.subscripts.size()) {
      starts.push_back(0), limits.push_back(n), strides.push_back(1), resultShape.push_back(n);
      continue;
    }
    const Subscript &s = e.subscripts[d];
    auto evalInt = [&](const ExprPtr &x, int64_t dflt) -> std::optional<int64_t> {
      if (!x)
        return dflt;
      std::optional<Val> v = eval(*x, scope);
      if (!v)
        return std::nullopt;
      if (v->kind != Val::Kind::Int) {
        error(x->loc, "a slice bound must be an integer, got " + describe(*v));
        return std::nullopt;
      }
      return v->i;
    };
    if (!s.isSlice) {
      std::optional<int64_t> i = evalInt(s.index, 0);
      if (!i)
        return std::nullopt;
      int64_t j = *i < 0 ? *i + n : *i;
      if (j < 0 || j >= n) {
        error(s.loc, "index " + std::to_string(*i) + " is out of range for dimension " +
                         std::to_string(d) + " of size " + std::to_string(n));
        return std::nullopt;
      }
      starts.push_back(j), limits.push_back(j + 1), strides.push_back(1);
      dropsDims = true;
      continue;
    }
    std::optional<int64_t> step = evalInt(s.step, 1);
    if (!step)
      return std::nullopt;
    if (*step < 1) {
      error(s.step->loc, "slice step must be >= 1, got " + std::to_string(*step));
      return std::nullopt;
    }
    std::optional<int64_t> lo = evalInt(s.start, 0), hi = evalInt(s.stop, n);
    if (!lo || !hi)
      return std::nullopt;
    // Python semantics: negative bounds count from the end, then clamp to [0, n].
    auto norm = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
    int64_t a = norm(*lo), b = std::max(norm(*hi), norm(*lo));
    if (a == b) {
      error(s.loc, "slice selects no elements of dimension " + std::to_string(d));
      return std::nullopt;
    }
    starts.push_back(a), limits.push_back(b), strides.push_back(*step);
    resultShape.push_back((b - a - 1) / *step + 1); // ceil((b - a) / step), b > a, no overflow
  }
  Value result = builder_.create<tess::SliceOp>(loc(e.loc), tensor, starts, limits, strides);
  if (dropsDims) {
    auto type = RankedTensorType::get(resultShape, tensorType(tensor).getElementType());
    result = builder_.create<tess::ReshapeOp>(loc(e.loc), type, result);
  }
  return Val::ofTensor(result);
}

std::optional<Val> Elaborator::evalCall(const Expr &e, Scope &scope) {
  std::vector<Val> args;
  std::vector<std::pair<std::string, Val>> kwargs;
  std::vector<SourceLoc> argLocs;
  for (const ExprPtr &a : e.args) {
    std::optional<Val> v = eval(*a, scope);
    if (!v)
      return std::nullopt;
    args.push_back(*v);
    argLocs.push_back(a->loc);
  }
  for (const KeywordArg &k : e.kwargs) {
    std::optional<Val> v = eval(*k.value, scope);
    if (!v)
      return std::nullopt;
    for (const auto &prev : kwargs)
      if (prev.first == k.name) {
        error(k.loc, "keyword argument '" + k.name + "' is given twice");
        return std::nullopt;
      }
    kwargs.emplace_back(k.name, *v);
  }
  if (auto it = fns_.find(e.text); it != fns_.end())
    return callFn(*it->second, e, args, argLocs, kwargs);
  if (const Builtin *b = findBuiltin(e.text))
    return callBuiltin(*this, *b, e, args, argLocs, kwargs);
  error(e.loc, "unknown function '" + e.text + "'");
  return std::nullopt;
}

std::optional<Val> Elaborator::callFn(const FnDecl &fn, const Expr &call,
                                      const std::vector<Val> &args,
                                      const std::vector<SourceLoc> &argLocs,
                                      const std::vector<std::pair<std::string, Val>> &kwargs) {
  std::vector<ParamSpec> params;
  for (size_t i = 0; i < fn.params.size(); ++i)
    params.push_back({fn.params[i], !(i < fn.defaults.size() && fn.defaults[i])});
  auto usage = [&] {
    std::string text = fn.name + "(";
    for (size_t i = 0; i < params.size(); ++i)
      text += (i ? ", " : "") + params[i].name + (params[i].required ? "" : "=");
    return text + ")";
  };
  std::optional<BoundArgs> bound =
      bindArguments(*this, "fn '" + fn.name + "'", params, call, args, argLocs, kwargs, usage);
  if (!bound) {
    note(fn.loc, "'" + fn.name + "' is defined here");
    return std::nullopt;
  }
  if (callDepth_ >= kMaxCallDepth) {
    error(call.loc, "calls nest more than " + std::to_string(kMaxCallDepth) + " deep (is '" +
                        fn.name + "' recursive?)");
    return std::nullopt;
  }
  // Defaults are evaluated in the callee's scope, in order, so that one may use the
  // parameters before it (`fn stage(x, blocks, lambdas_from = blocks)`). They count as part
  // of the call, so a default that calls its own fn hits the depth limit.
  ++callDepth_;
  Scope scope;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!bound->values[i]) {
      std::optional<Val> v = eval(*fn.defaults[i], scope);
      if (!v) {
        --callDepth_;
        note(call.loc,
             "in the default of '" + fn.params[i] + "' for the call of '" + fn.name + "' here");
        return std::nullopt;
      }
      bound->values[i] = std::move(v);
    }
    scope[fn.params[i]] = std::move(*bound->values[i]);
  }
  std::optional<std::vector<Val>> returned;
  bool ok = execBlock(fn.body, scope, returned);
  --callDepth_;
  if (!ok) {
    note(call.loc, "in the call of '" + fn.name + "' here");
    return std::nullopt;
  }
  if (!returned || returned->empty()) {
    error(fn.loc, "fn '" + fn.name + "' returns no value");
    note(call.loc, "called here");
    return std::nullopt;
  }
  if (returned->size() == 1)
    return returned->front();
  return Val::ofList(std::move(*returned));
}

std::optional<Val> Elaborator::evalUnary(const Expr &e, Scope &scope) {
  std::optional<Val> v = eval(*e.lhs, scope);
  if (!v)
    return std::nullopt;
  if (v->kind == Val::Kind::Int) {
    if (v->i == std::numeric_limits<int64_t>::min()) {
      error(e.loc, "integer overflow: -(" + std::to_string(v->i) + ") does not fit in 64 bits");
      return std::nullopt;
    }
    return Val::ofInt(-v->i);
  }
  if (v->kind == Val::Kind::Float)
    return Val::ofFloat(-v->f);
  std::optional<Value> t = asTensor(*v, e.lhs->loc, "the operand of '-'");
  if (!t)
    return std::nullopt;
  return Val::ofTensor(builder_.create<tess::NegOp>(loc(e.loc), *t));
}

std::optional<Val> Elaborator::evalBinary(const Expr &e, Scope &scope) {
  std::optional<Val> a = eval(*e.lhs, scope);
  if (!a)
    return std::nullopt;
  std::optional<Val> b = eval(*e.rhs, scope);
  if (!b)
    return std::nullopt;
  std::string opName = binaryOpSpelling(e.op);
  bool isComparison = e.op == kLess || e.op == kLessEqual || e.op == kGreater ||
                      e.op == kGreaterEqual || e.op == kEqualEqual || e.op == kNotEqual;

  // Lists concatenate (collecting per-batch pieces in a loop, then concat(list, axis)).
  if (e.op == '+' && a->kind == Val::Kind::List && b->kind == Val::Kind::List) {
    std::vector<Val> items = a->list;
    items.insert(items.end(), b->list.begin(), b->list.end());
    return Val::ofList(std::move(items));
  }
  // Equality also compares strings and booleans (configs such as gelu_kind).
  if ((e.op == kEqualEqual || e.op == kNotEqual) && a->kind == b->kind &&
      (a->kind == Val::Kind::String || a->kind == Val::Kind::Bool)) {
    bool same = a->kind == Val::Kind::String ? a->s == b->s : a->b == b->b;
    return Val::ofBool(e.op == kEqualEqual ? same : !same);
  }
  if (isComparison && a->isNumber() && b->isNumber()) {
    double x = a->number(), y = b->number();
    if (a->kind == Val::Kind::Int && b->kind == Val::Kind::Int) // exact for large integers
      x = double(a->i < b->i ? -1 : a->i > b->i ? 1 : 0), y = 0;
    switch (e.op) {
    case kLess:
      return Val::ofBool(x < y);
    case kLessEqual:
      return Val::ofBool(x <= y);
    case kGreater:
      return Val::ofBool(x > y);
    case kGreaterEqual:
      return Val::ofBool(x >= y);
    case kEqualEqual:
      return Val::ofBool(x == y);
    default:
      return Val::ofBool(x != y);
    }
  }
  if (e.op == kFloorDiv && a->isNumber() && b->isNumber()) {
    if (b->number() == 0) {
      error(e.loc, "division by zero");
      return std::nullopt;
    }
    if (a->kind == Val::Kind::Int && b->kind == Val::Kind::Int) {
      if (a->i == std::numeric_limits<int64_t>::min() && b->i == -1) {
        error(e.loc, "integer overflow in '//' (" + std::to_string(a->i) + " // -1)");
        return std::nullopt;
      }
      int64_t q = a->i / b->i;
      if ((a->i % b->i != 0) && ((a->i < 0) != (b->i < 0)))
        --q; // floor, like Python
      return Val::ofInt(q);
    }
    return Val::ofFloat(std::floor(a->number() / b->number()));
  }

  if (a->isNumber() && b->isNumber()) {
    if (a->kind == Val::Kind::Int && b->kind == Val::Kind::Int) {
      int64_t x = a->i, y = b->i, r = 0;
      // Configs and sizes are exact 64-bit integers; a result that does not fit is an error
      // at the operator, never a silently wrapped size further down.
      auto overflow = [&]() -> std::optional<Val> {
        error(e.loc, "integer overflow: " + std::to_string(x) + " " + opName + " " +
                         std::to_string(y) + " does not fit in 64 bits");
        return std::nullopt;
      };
      switch (e.op) {
      case '+':
        if (__builtin_add_overflow(x, y, &r))
          return overflow();
        return Val::ofInt(r);
      case '-':
        if (__builtin_sub_overflow(x, y, &r))
          return overflow();
        return Val::ofInt(r);
      case '*':
        if (__builtin_mul_overflow(x, y, &r))
          return overflow();
        return Val::ofInt(r);
      case '/':
      case '%':
        if (y == 0) {
          error(e.loc, "division by zero");
          return std::nullopt;
        }
        if (x == std::numeric_limits<int64_t>::min() && y == -1)
          return overflow();
        if (e.op == '%')
          return Val::ofInt(x % y);
        // Integer division stays integral when exact, so shapes like `dim / heads` work;
        // otherwise it is a true division.
        if (x % y == 0)
          return Val::ofInt(x / y);
        return Val::ofFloat(double(x) / double(y));
      }
    }
    double x = a->number(), y = b->number();
    switch (e.op) {
    case '+':
      return Val::ofFloat(x + y);
    case '-':
      return Val::ofFloat(x - y);
    case '*':
      return Val::ofFloat(x * y);
    case '/':
      if (y == 0) {
        error(e.loc, "division by zero");
        return std::nullopt;
      }
      return Val::ofFloat(x / y);
    case '%':
      error(e.loc, "'%' needs integer operands");
      return std::nullopt;
    }
  }
  if (e.op == '%') {
    error(e.loc, "'%' applies to integers only, not to " + describe(a->isNumber() ? *b : *a));
    return std::nullopt;
  }
  std::string lhsWhat = "the left operand of '" + opName + "'";
  std::string rhsWhat = "the right operand of '" + opName + "'";
  std::optional<Value> x, y;
  // A number next to a tensor takes the tensor's element type.
  if (a->isNumber()) {
    y = asTensor(*b, e.rhs->loc, rhsWhat);
    if (!y)
      return std::nullopt;
    x = asTensorLike(*a, e.lhs->loc, lhsWhat, tensorType(*y).getElementType());
  } else {
    x = asTensor(*a, e.lhs->loc, lhsWhat);
    if (!x)
      return std::nullopt;
    y = asTensorLike(*b, e.rhs->loc, rhsWhat, tensorType(*x).getElementType());
  }
  if (!x || !y)
    return std::nullopt;
  if (isComparison || e.op == kFloorDiv)
    return buildTensorOperator(*this, e.op, *x, *y, e.loc);
  return buildBinary(*this, e.op, *x, *y, e.loc);
}

} // namespace tessera::frontend
