#include "Builtins.h"

#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"

#include <cmath>

using namespace mlir;

namespace tessera::frontend {

namespace {

/// The bound arguments of one call: `at(i)` is the i-th declared parameter (positional or
/// keyword), absent when the caller left it out and it has no default.
struct CallArgs {
  Elaborator &el;
  const Builtin &builtin;
  const Expr &call;
  std::vector<std::optional<Val>> values;
  std::vector<SourceLoc> locs;
  std::vector<Val> rest; // extra positional arguments of variadic builtins
  std::vector<SourceLoc> restLocs;

  const std::optional<Val> &at(size_t i) const { return values[i]; }
  SourceLoc locOf(size_t i) const { return locs[i]; }
  Location loc() { return el.loc(call.loc); }
  OpBuilder &b() { return el.builder(); }
  bool fail(SourceLoc l, const std::string &m) { return el.error(l, m); }
  std::optional<Value> tensor(size_t i);
  std::optional<int64_t> integer(size_t i);
  std::optional<bool> boolean(size_t i);
  std::optional<std::string> string(size_t i);
  std::optional<double> number(size_t i);
  std::optional<std::vector<int64_t>> intList(size_t i);
  std::string argName(size_t i) const;
};

using Handler = std::optional<Val> (*)(CallArgs &);

struct Param {
  const char *name;
  bool required;
};

} // namespace

struct Builtin {
  const char *name;
  std::vector<Param> params;
  bool variadic; // leading positional arguments are collected into `rest`
  Handler handler;
  const char *doc;
};

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
ArrayRef<int64_t> shapeOf(Value v) { return typeOf(v).getShape(); }

std::string CallArgs::argName(size_t i) const {
  return std::string("argument '") + builtin.params[i].name + "' of " + builtin.name;
}

std::optional<Value> CallArgs::tensor(size_t i) {
  return el.asTensor(*values[i], locs[i], argName(i));
}

std::optional<int64_t> CallArgs::integer(size_t i) {
  if (values[i]->kind != Val::Kind::Int) {
    fail(locs[i], argName(i) + " must be an integer, got " + describe(*values[i]));
    return std::nullopt;
  }
  return values[i]->i;
}

std::optional<bool> CallArgs::boolean(size_t i) {
  if (values[i]->kind != Val::Kind::Bool) {
    fail(locs[i], argName(i) + " must be true or false, got " + describe(*values[i]));
    return std::nullopt;
  }
  return values[i]->b;
}

std::optional<std::string> CallArgs::string(size_t i) {
  if (values[i]->kind != Val::Kind::String) {
    fail(locs[i], argName(i) + " must be a string, got " + describe(*values[i]));
    return std::nullopt;
  }
  return values[i]->s;
}

std::optional<double> CallArgs::number(size_t i) {
  if (!values[i]->isNumber()) {
    fail(locs[i], argName(i) + " must be a number, got " + describe(*values[i]));
    return std::nullopt;
  }
  return values[i]->number();
}

std::optional<std::vector<int64_t>> CallArgs::intList(size_t i) {
  const Val &v = *values[i];
  if (v.kind == Val::Kind::Int)
    return std::vector<int64_t>{v.i};
  if (v.kind != Val::Kind::List) {
    fail(locs[i], argName(i) + " must be a list of integers, got " + describe(v));
    return std::nullopt;
  }
  std::vector<int64_t> out;
  for (const Val &x : v.list) {
    if (x.kind != Val::Kind::Int) {
      fail(locs[i], argName(i) + " must be a list of integers; it contains " + describe(x));
      return std::nullopt;
    }
    out.push_back(x.i);
  }
  return out;
}

/// Normalizes a possibly negative axis; reports and returns nullopt when out of range.
std::optional<int64_t> normalizeAxis(CallArgs &a, int64_t axis, int64_t rank, SourceLoc l) {
  int64_t n = axis < 0 ? axis + rank : axis;
  if (n < 0 || n >= rank) {
    a.fail(l, "axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
                  std::to_string(rank));
    return std::nullopt;
  }
  return n;
}

/// Reports a shape-rule violation at the call.
bool check(CallArgs &a, const std::string &err) {
  if (err.empty())
    return true;
  a.fail(a.call.loc, std::string(a.builtin.name) + ": " + err);
  return false;
}

//===----------------------------------------------------------------------===//
// Handlers
//===----------------------------------------------------------------------===//

template <typename OpT, double (*Scalar)(double)>
std::optional<Val> unary(CallArgs &a) {
  if (a.at(0)->isNumber())
    return Val::ofFloat(Scalar(a.at(0)->number()));
  std::optional<Value> x = a.tensor(0);
  if (!x)
    return std::nullopt;
  if (!typeOf(*x).getElementType().isF32()) {
    a.fail(a.locOf(0), std::string(a.builtin.name) + " needs an f32 tensor");
    return std::nullopt;
  }
  return Val::ofTensor(a.b().create<OpT>(a.loc(), *x));
}

double reluS(double x) { return x > 0 ? x : 0; }
double expS(double x) { return std::exp(x); }
double sqrtS(double x) { return std::sqrt(x); }
double rsqrtS(double x) { return 1 / std::sqrt(x); }
double tanhS(double x) { return std::tanh(x); }
double sigmoidS(double x) { return 1 / (1 + std::exp(-x)); }
double negS(double x) { return -x; }

std::optional<Val> gelu(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::string> approx = a.string(1);
  if (!x || !approx)
    return std::nullopt;
  if (*approx != "none" && *approx != "tanh" && *approx != "sigmoid") {
    a.fail(a.locOf(1), "gelu approximate must be \"none\" (erf), \"tanh\" or \"sigmoid\" "
                       "(x * sigmoid(1.702 x)), got \"" + *approx + "\"");
    return std::nullopt;
  }
  return Val::ofTensor(a.b().create<tess::GeluOp>(a.loc(), *x, *approx));
}

template <char Op>
std::optional<Val> binary(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  if (!x)
    return std::nullopt;
  std::optional<Value> y = a.tensor(1);
  if (!y)
    return std::nullopt;
  return buildBinary(a.el, Op, *x, *y, a.call.loc);
}

std::optional<Val> matmul(CallArgs &a) {
  std::optional<Value> x = a.tensor(0), y;
  if (!x || !(y = a.tensor(1)))
    return std::nullopt;
  std::optional<bool> ta = a.boolean(2), tb = a.boolean(3);
  if (!ta || !tb)
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::matmulShape(shapeOf(*x), shapeOf(*y), *ta, *tb, shape)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::MatmulOp>(a.loc(), *x, *y, *ta, *tb));
}

/// `linear(x, p, out = N, bias = true)`: parameters p.weight [out, in] and p.bias [out]; when
/// they are not declared yet, `out` declares them.
std::optional<Val> linear(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  if (!x)
    return std::nullopt;
  if (a.at(1)->kind != Val::Kind::Path) {
    a.fail(a.locOf(1), "linear's second argument names its parameters (e.g. blocks[i].fc1), "
                       "got " + describe(*a.at(1)));
    return std::nullopt;
  }
  std::string p = a.at(1)->s;
  std::optional<bool> hasBias = a.boolean(3);
  if (!hasBias)
    return std::nullopt;
  if (shapeOf(*x).empty()) {
    a.fail(a.locOf(0), "linear input must have rank >= 1");
    return std::nullopt;
  }
  int64_t in = shapeOf(*x).back();
  std::optional<Value> w = a.el.findParam(p + ".weight");
  if (!w) {
    if (!a.at(2)) {
      a.fail(a.locOf(1), "parameter '" + p + ".weight' is not declared: declare it with "
                         "`param " + p + ".weight: f32[OUT, " + std::to_string(in) +
                         "]` or pass out = OUT");
      return std::nullopt;
    }
    std::optional<int64_t> out = a.integer(2);
    if (!out)
      return std::nullopt;
    if (*out < 1) {
      a.fail(a.locOf(2), "linear out must be >= 1");
      return std::nullopt;
    }
    w = a.el.declareParam(p + ".weight", {*out, in}, a.b().getF32Type(), a.call.loc);
    if (!w)
      return std::nullopt;
  }
  Value bias;
  if (*hasBias) {
    std::optional<Value> bv = a.el.findParam(p + ".bias");
    if (!bv)
      bv = a.el.declareParam(p + ".bias", {shapeOf(*w)[0]}, a.b().getF32Type(), a.call.loc);
    if (!bv)
      return std::nullopt;
    bias = *bv;
  }
  if (a.at(2) && a.at(2)->kind == Val::Kind::Int && shapeOf(*w).size() == 2 &&
      a.at(2)->i != shapeOf(*w)[0]) {
    a.fail(a.locOf(2), "out = " + std::to_string(a.at(2)->i) + " but '" + p +
                           ".weight' is declared " + tess::formatShape(shapeOf(*w)));
    return std::nullopt;
  }
  ArrayRef<int64_t> biasShape;
  if (bias)
    biasShape = shapeOf(bias);
  tess::Shape shape;
  if (!check(a, tess::linearShape(shapeOf(*x), shapeOf(*w), bias ? &biasShape : nullptr, shape)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::LinearOp>(a.loc(), *x, *w, bias));
}

template <typename OpT>
std::optional<Val> reduce(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<bool> keep = a.boolean(2);
  if (!x || !keep)
    return std::nullopt;
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> axes;
  if (!a.at(1)) {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  } else {
    std::optional<std::vector<int64_t>> given = a.intList(1);
    if (!given)
      return std::nullopt;
    for (int64_t ax : *given) {
      std::optional<int64_t> n = normalizeAxis(a, ax, rank, a.locOf(1));
      if (!n)
        return std::nullopt;
      axes.push_back(*n);
    }
  }
  tess::Shape shape;
  if (!check(a, tess::reduceShape(shapeOf(*x), axes, *keep, shape)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<OpT>(a.loc(), *x, axes, *keep));
}

std::optional<Val> softmax(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<int64_t> axis = a.integer(1);
  if (!x || !axis)
    return std::nullopt;
  std::optional<int64_t> n = normalizeAxis(a, *axis, shapeOf(*x).size(), a.locOf(1));
  if (!n)
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::SoftmaxOp>(a.loc(), *x, *n));
}

/// `layer_norm(x, p, eps = 1e-5)`: p.weight and p.bias of shape [last dim], declared on first
/// use; without p the normalization has no affine part.
std::optional<Val> layerNorm(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<double> eps = a.number(2);
  if (!x || !eps)
    return std::nullopt;
  if (shapeOf(*x).empty()) {
    a.fail(a.locOf(0), "layer_norm input must have rank >= 1");
    return std::nullopt;
  }
  if (!(*eps > 0)) {
    a.fail(a.locOf(2), "layer_norm eps must be > 0");
    return std::nullopt;
  }
  Value w, bias;
  if (a.at(1)) {
    if (a.at(1)->kind != Val::Kind::Path) {
      a.fail(a.locOf(1), "layer_norm's second argument names its parameters (e.g. norm1), "
                         "got " + describe(*a.at(1)));
      return std::nullopt;
    }
    int64_t d = shapeOf(*x).back();
    std::string p = a.at(1)->s;
    std::optional<Value> wv = a.el.declareParam(p + ".weight", {d}, a.b().getF32Type(),
                                                a.call.loc);
    if (!wv)
      return std::nullopt;
    std::optional<Value> bv = a.el.declareParam(p + ".bias", {d}, a.b().getF32Type(),
                                                a.call.loc);
    if (!bv)
      return std::nullopt;
    w = *wv, bias = *bv;
  }
  auto op = a.b().create<tess::LayerNormOp>(a.loc(), x->getType(), *x, w, bias,
                                            a.b().getF64FloatAttr(*eps));
  return Val::ofTensor(op);
}

std::optional<Val> reshape(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::vector<int64_t>> dims = a.intList(1);
  if (!x || !dims)
    return std::nullopt;
  int64_t total = tess::numElements(shapeOf(*x));
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < dims->size(); ++i) {
    int64_t d = (*dims)[i];
    if (d == -1) {
      if (inferAt >= 0) {
        a.fail(a.locOf(1), "reshape: only one dimension may be -1");
        return std::nullopt;
      }
      inferAt = i;
    } else if (d < 1) {
      a.fail(a.locOf(1), "reshape: dimension " + std::to_string(d) + " must be >= 1 or -1");
      return std::nullopt;
    } else {
      known *= d;
      if (known > total) // also guards the product against overflow
        break;
    }
  }
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0) {
      a.fail(a.locOf(1), "reshape: cannot infer -1 when reshaping " +
                             tess::formatShape(shapeOf(*x)) + " to " + tess::formatShape(*dims));
      return std::nullopt;
    }
    (*dims)[inferAt] = total / known;
  }
  if (!check(a, tess::reshapeCheck(shapeOf(*x), *dims)))
    return std::nullopt;
  auto type = RankedTensorType::get(*dims, typeOf(*x).getElementType());
  return Val::ofTensor(a.b().create<tess::ReshapeOp>(a.loc(), type, *x));
}

std::optional<Val> transpose(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  if (!x)
    return std::nullopt;
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> perm;
  if (a.at(1)) {
    std::optional<std::vector<int64_t>> given = a.intList(1);
    if (!given)
      return std::nullopt;
    for (int64_t p : *given) {
      std::optional<int64_t> n = normalizeAxis(a, p, rank, a.locOf(1));
      if (!n)
        return std::nullopt;
      perm.push_back(*n);
    }
  } else {
    if (rank < 2) {
      a.fail(a.locOf(0), "transpose without a permutation swaps the last two dimensions and "
                         "needs rank >= 2");
      return std::nullopt;
    }
    for (int64_t i = 0; i < rank; ++i)
      perm.push_back(i);
    std::swap(perm[rank - 1], perm[rank - 2]);
  }
  tess::Shape shape;
  if (!check(a, tess::transposeShape(shapeOf(*x), perm, shape)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::TransposeOp>(a.loc(), *x, perm));
}

std::optional<Val> concat(CallArgs &a) {
  if (a.rest.empty()) {
    a.fail(a.call.loc, "concat needs at least one tensor");
    return std::nullopt;
  }
  SmallVector<Value> inputs;
  SmallVector<SmallVector<int64_t, 6>> shapes;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    std::optional<Value> t = a.el.asTensor(a.rest[i], a.restLocs[i], "concat input");
    if (!t)
      return std::nullopt;
    if (!inputs.empty() && typeOf(*t).getElementType() != typeOf(inputs[0]).getElementType()) {
      a.fail(a.restLocs[i], "concat inputs have different element types");
      return std::nullopt;
    }
    inputs.push_back(*t);
    shapes.emplace_back(shapeOf(*t));
  }
  std::optional<int64_t> axis = a.integer(0);
  if (!axis)
    return std::nullopt;
  std::optional<int64_t> n = normalizeAxis(a, *axis, shapes[0].size(), a.locOf(0));
  if (!n)
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::concatShape(shapes, *n, shape)))
    return std::nullopt;
  if (inputs.size() == 1)
    return Val::ofTensor(inputs[0]);
  return Val::ofTensor(a.b().create<tess::ConcatOp>(a.loc(), inputs, *n));
}

std::optional<Val> dim(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<int64_t> axis = a.integer(1);
  if (!x || !axis)
    return std::nullopt;
  std::optional<int64_t> n = normalizeAxis(a, *axis, shapeOf(*x).size(), a.locOf(1));
  if (!n)
    return std::nullopt;
  return Val::ofInt(shapeOf(*x)[*n]);
}

const std::vector<Builtin> &builtins() {
  static const std::vector<Builtin> table = {
      {"relu", {{"x", true}}, false, unary<tess::ReluOp, reluS>, "max(x, 0)"},
      {"exp", {{"x", true}}, false, unary<tess::ExpOp, expS>, "e^x"},
      {"sqrt", {{"x", true}}, false, unary<tess::SqrtOp, sqrtS>, "square root"},
      {"rsqrt", {{"x", true}}, false, unary<tess::RsqrtOp, rsqrtS>, "1 / sqrt(x)"},
      {"tanh", {{"x", true}}, false, unary<tess::TanhOp, tanhS>, "hyperbolic tangent"},
      {"sigmoid", {{"x", true}}, false, unary<tess::SigmoidOp, sigmoidS>, "1 / (1 + e^-x)"},
      {"neg", {{"x", true}}, false, unary<tess::NegOp, negS>, "-x"},
      {"gelu", {{"x", true}, {"approximate", false}}, false, gelu,
       "GELU; approximate = \"none\" (erf, default), \"tanh\" or \"sigmoid\" (x*sigmoid(1.702x))"},
      {"add", {{"a", true}, {"b", true}}, false, binary<'+'>, "a + b (broadcasting)"},
      {"sub", {{"a", true}, {"b", true}}, false, binary<'-'>, "a - b (broadcasting)"},
      {"mul", {{"a", true}, {"b", true}}, false, binary<'*'>, "a * b (broadcasting)"},
      {"div", {{"a", true}, {"b", true}}, false, binary<'/'>, "a / b (broadcasting)"},
      {"maximum", {{"a", true}, {"b", true}}, false, binary<'>'>, "elementwise max (broadcasting)"},
      {"minimum", {{"a", true}, {"b", true}}, false, binary<'<'>, "elementwise min (broadcasting)"},
      {"matmul", {{"a", true}, {"b", true}, {"transpose_a", false}, {"transpose_b", false}},
       false, matmul, "batched matrix product, batch dimensions broadcast"},
      {"linear", {{"x", true}, {"params", true}, {"out", false}, {"bias", false}}, false, linear,
       "x @ params.weight^T + params.bias (torch layout); out = N declares the parameters"},
      {"sum", {{"x", true}, {"axis", false}, {"keepdims", false}}, false,
       reduce<tess::ReduceSumOp>, "sum over axis (int or list; default all)"},
      {"mean", {{"x", true}, {"axis", false}, {"keepdims", false}}, false,
       reduce<tess::ReduceMeanOp>, "mean over axis (int or list; default all)"},
      {"max", {{"x", true}, {"axis", false}, {"keepdims", false}}, false,
       reduce<tess::ReduceMaxOp>, "maximum over axis (int or list; default all)"},
      {"softmax", {{"x", true}, {"axis", false}}, false, softmax, "softmax along axis (default -1)"},
      {"layer_norm", {{"x", true}, {"params", false}, {"eps", false}}, false, layerNorm,
       "LayerNorm over the last dimension; params.weight/.bias [D]; eps default 1e-5"},
      {"reshape", {{"x", true}, {"shape", true}}, false, reshape,
       "row-major reshape; one dimension may be -1"},
      {"transpose", {{"x", true}, {"perm", false}}, false, transpose,
       "permute dimensions (default: swap the last two)"},
      {"permute", {{"x", true}, {"perm", true}}, false, transpose, "permute dimensions"},
      {"concat", {{"axis", false}}, true, concat, "concat(a, b, ..., axis = 0)"},
      {"dim", {{"x", true}, {"axis", true}}, false, dim, "size of one dimension (an integer)"},
  };
  return table;
}

/// Defaults of optional arguments, by builtin and parameter name.
std::optional<Val> defaultFor(const std::string &fn, const std::string &param) {
  if (param == "approximate")
    return Val::ofString("none");
  if (param == "transpose_a" || param == "transpose_b" || param == "keepdims")
    return Val::ofBool(false);
  if (param == "bias")
    return Val::ofBool(true);
  if (fn == "softmax" && param == "axis")
    return Val::ofInt(-1);
  if (fn == "concat" && param == "axis")
    return Val::ofInt(0);
  if (param == "eps")
    return Val::ofFloat(1e-5);
  return std::nullopt;
}

} // namespace

const Builtin *findBuiltin(const std::string &name) {
  for (const Builtin &b : builtins())
    if (name == b.name)
      return &b;
  return nullptr;
}

std::vector<std::string> builtinSignatures() {
  std::vector<std::string> out;
  for (const Builtin &b : builtins()) {
    std::string s = std::string(b.name) + "(";
    bool first = true;
    if (b.variadic)
      s += "tensors...", first = false;
    for (const Param &p : b.params) {
      s += first ? "" : ", ";
      first = false;
      s += p.name;
      if (!p.required)
        s += "=";
    }
    out.push_back(s + "): " + b.doc);
  }
  return out;
}

std::optional<Val> callBuiltin(Elaborator &el, const Builtin &builtin, const Expr &call,
                               const std::vector<Val> &args,
                               const std::vector<SourceLoc> &argLocs,
                               const std::vector<std::pair<std::string, Val>> &kwargs) {
  CallArgs a{el, builtin, call, {}, {}, {}, {}};
  size_t n = builtin.params.size();
  a.values.resize(n);
  a.locs.assign(n, call.loc);
  size_t firstPositional = 0;
  if (builtin.variadic) {
    a.rest = args;
    a.restLocs = argLocs;
    firstPositional = args.size();
  } else if (args.size() > n) {
    std::string sig = builtinSignatures()[&builtin - builtins().data()];
    el.error(argLocs[n], std::string(builtin.name) + " takes at most " + std::to_string(n) +
                             (n == 1 ? " argument" : " arguments") + ", got " +
                             std::to_string(args.size()) + "; usage: " + sig);
    return std::nullopt;
  }
  for (size_t i = 0; !builtin.variadic && i < args.size(); ++i)
    a.values[i] = args[i], a.locs[i] = argLocs[i];
  (void)firstPositional;
  for (size_t k = 0; k < kwargs.size(); ++k) {
    const auto &[name, value] = kwargs[k];
    size_t idx = n;
    for (size_t i = 0; i < n; ++i)
      if (name == builtin.params[i].name)
        idx = i;
    if (idx == n) {
      std::string sig = builtinSignatures()[&builtin - builtins().data()];
      el.error(call.kwargs[k].loc, std::string(builtin.name) + " has no argument '" + name +
                                       "'; usage: " + sig);
      return std::nullopt;
    }
    if (a.values[idx]) {
      el.error(call.kwargs[k].loc, "argument '" + name + "' of " + builtin.name +
                                       " is given twice");
      return std::nullopt;
    }
    a.values[idx] = value;
    a.locs[idx] = call.kwargs[k].loc;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a.values[i])
      continue;
    if (builtin.params[i].required) {
      std::string sig = builtinSignatures()[&builtin - builtins().data()];
      el.error(call.loc, std::string(builtin.name) + " is missing argument '" +
                             builtin.params[i].name + "'; usage: " + sig);
      return std::nullopt;
    }
    a.values[i] = defaultFor(builtin.name, builtin.params[i].name);
  }
  return builtin.handler(a);
}

std::optional<Val> buildBinary(Elaborator &el, char op, Value lhs, Value rhs, SourceLoc l) {
  tess::Shape shape;
  std::string err = tess::broadcastShapes(shapeOf(lhs), shapeOf(rhs), shape);
  if (!err.empty()) {
    el.error(l, err);
    return std::nullopt;
  }
  if (typeOf(lhs).getElementType() != typeOf(rhs).getElementType()) {
    el.error(l, "operands have different element types");
    return std::nullopt;
  }
  OpBuilder &b = el.builder();
  Location loc = el.loc(l);
  switch (op) {
  case '+':
    return Val::ofTensor(b.create<tess::AddOp>(loc, lhs, rhs));
  case '-':
    return Val::ofTensor(b.create<tess::SubOp>(loc, lhs, rhs));
  case '*':
    return Val::ofTensor(b.create<tess::MulOp>(loc, lhs, rhs));
  case '/':
    return Val::ofTensor(b.create<tess::DivOp>(loc, lhs, rhs));
  case '>':
    return Val::ofTensor(b.create<tess::MaxOp>(loc, lhs, rhs));
  case '<':
    return Val::ofTensor(b.create<tess::MinOp>(loc, lhs, rhs));
  }
  el.error(l, std::string("unsupported operator '") + op + "'");
  return std::nullopt;
}

} // namespace tessera::frontend
