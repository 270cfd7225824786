#include "Builtins.h"

#include "ArgumentBinding.h"

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
  /// The value of an optional parameter the call leaves out, as a DSL literal ("-1", "1e-5",
  /// "\"none\"", "false"); null when leaving it out means "absent" (e.g. linear's `out`).
  const char *defaultValue = nullptr;
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

template <typename OpT> std::optional<Val> unary(CallArgs &a) {
  if (a.at(0)->isNumber())
    return Val::ofFloat(OpT::evaluate(a.at(0)->number()));
  std::optional<Value> x = a.tensor(0);
  if (!x)
    return std::nullopt;
  if (!typeOf(*x).getElementType().isF32()) {
    a.fail(a.locOf(0), std::string(a.builtin.name) + " needs an f32 tensor");
    return std::nullopt;
  }
  return Val::ofTensor(a.b().create<OpT>(a.loc(), *x));
}

std::optional<Val> gelu(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::string> approx = a.string(1);
  if (!x || !approx)
    return std::nullopt;
  if (*approx != "none" && *approx != "tanh" && *approx != "sigmoid") {
    a.fail(a.locOf(1), "gelu approximate must be \"none\" (erf), \"tanh\" or \"sigmoid\" "
                       "(x * sigmoid(1.702 x)), got \"" +
                           *approx + "\"");
    return std::nullopt;
  }
  return Val::ofTensor(a.b().create<tess::GeluOp>(a.loc(), *x, *approx));
}

/// Operands i and j as tensors; a number takes the element type of the other operand.
bool tensorPair(CallArgs &a, size_t i, size_t j, std::optional<Value> &x, std::optional<Value> &y) {
  if (a.at(i)->isNumber() && !a.at(j)->isNumber()) {
    y = a.tensor(j);
    if (y)
      x = a.el.asTensorLike(*a.at(i), a.locOf(i), a.argName(i), typeOf(*y).getElementType());
  } else {
    x = a.tensor(i);
    if (x)
      y = a.el.asTensorLike(*a.at(j), a.locOf(j), a.argName(j), typeOf(*x).getElementType());
  }
  return x && y;
}

template <char Op> std::optional<Val> binary(CallArgs &a) {
  std::optional<Value> x, y;
  if (!tensorPair(a, 0, 1, x, y))
    return std::nullopt;
  if (Op == '^' && !typeOf(*x).getElementType().isF32()) {
    a.fail(a.call.loc, "pow needs f32 operands, got " + describe(Val::ofTensor(*x)) +
                           "; cast integers with cast(x, \"f32\")");
    return std::nullopt;
  }
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
                       "got " +
                           describe(*a.at(1)));
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
      a.fail(a.locOf(1), "parameter '" + p +
                             ".weight' is not declared: declare it with "
                             "`param " +
                             p + ".weight: f32[OUT, " + std::to_string(in) +
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

template <typename OpT> std::optional<Val> reduce(CallArgs &a) {
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
                         "got " +
                             describe(*a.at(1)));
      return std::nullopt;
    }
    int64_t d = shapeOf(*x).back();
    std::string p = a.at(1)->s;
    std::optional<Value> wv = a.el.declareParam(p + ".weight", {d}, a.b().getF32Type(), a.call.loc);
    if (!wv)
      return std::nullopt;
    std::optional<Value> bv = a.el.declareParam(p + ".bias", {d}, a.b().getF32Type(), a.call.loc);
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
  // concat([a, b, c], axis = 1) is concat(a, b, c, axis = 1).
  if (a.rest.size() == 1 && a.rest[0].kind == Val::Kind::List) {
    std::vector<Val> items = a.rest[0].list;
    a.restLocs.assign(items.size(), a.restLocs[0]);
    a.rest = std::move(items);
  }
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

/// "f32" / "i32" / "i64" / "bool" as an element type.
std::optional<Type> dtypeArg(CallArgs &a, size_t i) {
  std::optional<std::string> name = a.string(i);
  if (!name)
    return std::nullopt;
  OpBuilder &b = a.b();
  if (*name == "f32")
    return b.getF32Type();
  if (*name == "i32")
    return b.getI32Type();
  if (*name == "i64")
    return b.getI64Type();
  if (*name == "bool")
    return b.getI1Type();
  a.fail(a.locOf(i), "dtype must be \"f32\", \"i32\", \"i64\" or \"bool\", got \"" + *name + "\"");
  return std::nullopt;
}

/// A list of positive dimensions.
std::optional<std::vector<int64_t>> shapeArg(CallArgs &a, size_t i) {
  std::optional<std::vector<int64_t>> dims = a.intList(i);
  if (!dims)
    return std::nullopt;
  if (std::string problem = tess::rankLimitCheck(dims->size()); !problem.empty()) {
    a.fail(a.locOf(i), problem);
    return std::nullopt;
  }
  for (int64_t d : *dims)
    if (d < 1 || d > (int64_t(1) << 40)) {
      a.fail(a.locOf(i), "dimension " + std::to_string(d) + " is out of range (1 .. 2^40)");
      return std::nullopt;
    }
  if (tess::numElements(*dims) < 0) {
    a.fail(a.locOf(i), "shape has too many elements");
    return std::nullopt;
  }
  return dims;
}

/// An int or a pair of ints, as (height, width).
std::optional<std::vector<int64_t>> pairArg(CallArgs &a, size_t i) {
  std::optional<std::vector<int64_t>> v = a.intList(i);
  if (!v)
    return std::nullopt;
  if (v->size() == 1)
    v->push_back(v->front());
  if (v->size() != 2) {
    a.fail(a.locOf(i), a.argName(i) + " must be an integer or [height, width]");
    return std::nullopt;
  }
  return v;
}

template <const char *Pred> std::optional<Val> compare(CallArgs &a) {
  std::optional<Value> x, y;
  if (!tensorPair(a, 0, 1, x, y))
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::broadcastShapes(shapeOf(*x), shapeOf(*y), shape)))
    return std::nullopt;
  if (typeOf(*x).getElementType() != typeOf(*y).getElementType()) {
    a.fail(a.call.loc, std::string(a.builtin.name) + ": operands have different element types");
    return std::nullopt;
  }
  return Val::ofTensor(a.b().create<tess::CompareOp>(a.loc(), *x, *y, Pred));
}
constexpr char kLt[] = "lt", kLe[] = "le", kGt[] = "gt", kGe[] = "ge", kEq[] = "eq", kNe[] = "ne";

std::optional<Val> where(CallArgs &a) {
  std::optional<Value> c = a.tensor(0), x, y;
  if (!c || !tensorPair(a, 1, 2, x, y))
    return std::nullopt;
  if (!typeOf(*c).getElementType().isInteger(1)) {
    a.fail(a.locOf(0),
           "where's condition must be a comparison result (bool), got " + describe(*a.at(0)));
    return std::nullopt;
  }
  if (typeOf(*x).getElementType() != typeOf(*y).getElementType()) {
    a.fail(a.call.loc, "where: the two branches have different element types");
    return std::nullopt;
  }
  tess::Shape xy, all;
  if (!check(a, tess::broadcastShapes(shapeOf(*x), shapeOf(*y), xy)) ||
      !check(a, tess::broadcastShapes(shapeOf(*c), xy, all)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::SelectOp>(a.loc(), *c, *x, *y));
}

std::optional<Val> cast(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<Type> t = dtypeArg(a, 1);
  if (!x || !t)
    return std::nullopt;
  if (typeOf(*x).getElementType() == *t)
    return Val::ofTensor(*x);
  auto type = RankedTensorType::get(shapeOf(*x), *t);
  return Val::ofTensor(a.b().create<tess::CastOp>(a.loc(), type, *x));
}

std::optional<Val> iota(CallArgs &a) {
  std::optional<std::vector<int64_t>> shape = shapeArg(a, 0);
  std::optional<int64_t> axis = a.integer(1);
  std::optional<Type> t = dtypeArg(a, 2);
  if (!shape || !axis || !t)
    return std::nullopt;
  std::optional<int64_t> n = normalizeAxis(a, *axis, shape->size(), a.locOf(1));
  if (!n)
    return std::nullopt;
  auto type = RankedTensorType::get(*shape, *t);
  return Val::ofTensor(a.b().create<tess::IotaOp>(a.loc(), type, *n));
}

std::optional<Val> arange(CallArgs &a) {
  std::optional<int64_t> n = a.integer(0);
  std::optional<Type> t = dtypeArg(a, 1);
  if (!n || !t)
    return std::nullopt;
  if (*n < 1) {
    a.fail(a.locOf(0), "arange needs n >= 1");
    return std::nullopt;
  }
  auto type = RankedTensorType::get({*n}, *t);
  return Val::ofTensor(a.b().create<tess::IotaOp>(a.loc(), type, 0));
}

std::optional<Val> full(CallArgs &a) {
  std::optional<std::vector<int64_t>> shape = shapeArg(a, 0);
  std::optional<double> value = a.number(1);
  std::optional<Type> t = dtypeArg(a, 2);
  if (!shape || !value || !t)
    return std::nullopt;
  auto type = RankedTensorType::get(*shape, *t);
  if (auto it = dyn_cast<IntegerType>(*t); it && it.getWidth() > 1) {
    if (!tess::fitsSignedInteger(*value, it.getWidth())) {
      a.fail(a.locOf(1), "full: " + std::to_string(*value) + " does not fit in i" +
                             std::to_string(it.getWidth()));
      return std::nullopt;
    }
  }
  Attribute v;
  if (t->isF32())
    v = a.b().getF32FloatAttr(float(*value));
  else if (t->isInteger(1))
    v = a.b().getBoolAttr(*value != 0); // like cast(x, "bool"): any non-zero value is true
  else
    v = a.b().getIntegerAttr(*t, int64_t(*value));
  return Val::ofTensor(a.b().create<tess::ConstantOp>(a.loc(), DenseElementsAttr::get(type, v)));
}

std::optional<Val> broadcastTo(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::vector<int64_t>> shape = shapeArg(a, 1);
  if (!x || !shape)
    return std::nullopt;
  if (!check(a, tess::broadcastToCheck(shapeOf(*x), *shape)))
    return std::nullopt;
  if (shapeOf(*x) == ArrayRef<int64_t>(*shape))
    return Val::ofTensor(*x);
  auto type = RankedTensorType::get(*shape, typeOf(*x).getElementType());
  return Val::ofTensor(a.b().create<tess::BroadcastToOp>(a.loc(), type, *x));
}

bool isIndexTensor(Value v) {
  Type t = typeOf(v).getElementType();
  return t.isInteger(32) || t.isInteger(64);
}

std::optional<Val> gather(CallArgs &a) {
  std::optional<Value> x = a.tensor(0), idx;
  if (!x || !(idx = a.tensor(1)))
    return std::nullopt;
  std::optional<int64_t> axis = a.integer(2);
  if (!axis)
    return std::nullopt;
  if (!isIndexTensor(*idx)) {
    a.fail(a.locOf(1), "gather indices must be an i32 or i64 tensor, got " + describe(*a.at(1)));
    return std::nullopt;
  }
  std::optional<int64_t> n = normalizeAxis(a, *axis, shapeOf(*x).size(), a.locOf(2));
  if (!n)
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::GatherOp>(a.loc(), *x, *idx, *n));
}

/// `embedding(indices, p, num = N, dim = D)`: rows of p.weight [N, D] (torch.nn.Embedding).
std::optional<Val> embedding(CallArgs &a) {
  std::optional<Value> idx = a.tensor(0);
  if (!idx)
    return std::nullopt;
  if (!isIndexTensor(*idx)) {
    a.fail(a.locOf(0), "embedding indices must be an i32 or i64 tensor, got " + describe(*a.at(0)));
    return std::nullopt;
  }
  if (a.at(1)->kind != Val::Kind::Path) {
    a.fail(a.locOf(1),
           "embedding's second argument names its parameters, got " + describe(*a.at(1)));
    return std::nullopt;
  }
  std::string p = a.at(1)->s + ".weight";
  std::optional<Value> w = a.el.findParam(p);
  if (!w) {
    if (!a.at(2) || !a.at(3)) {
      a.fail(a.locOf(1), "parameter '" + p + "' is not declared: declare it or pass num and dim");
      return std::nullopt;
    }
    std::optional<int64_t> num = a.integer(2), dim = a.integer(3);
    if (!num || !dim)
      return std::nullopt;
    if (*num < 1 || *dim < 1) {
      a.fail(a.call.loc, "embedding num and dim must be >= 1");
      return std::nullopt;
    }
    w = a.el.declareParam(p, {*num, *dim}, a.b().getF32Type(), a.call.loc);
    if (!w)
      return std::nullopt;
  }
  if (shapeOf(*w).size() != 2) {
    a.fail(a.locOf(1), "'" + p + "' must be a matrix [num, dim]");
    return std::nullopt;
  }
  return Val::ofTensor(a.b().create<tess::GatherOp>(a.loc(), *w, *idx, 0));
}

template <typename OpT> std::optional<Val> argReduce(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<int64_t> axis = a.integer(1);
  std::optional<bool> keep = a.boolean(2);
  if (!x || !axis || !keep)
    return std::nullopt;
  if (!typeOf(*x).getElementType().isF32()) {
    a.fail(a.locOf(0), std::string(a.builtin.name) + " needs an f32 tensor");
    return std::nullopt;
  }
  std::optional<int64_t> n = normalizeAxis(a, *axis, shapeOf(*x).size(), a.locOf(1));
  if (!n)
    return std::nullopt;
  return Val::ofTensor(a.b().create<OpT>(a.loc(), *x, *n, *keep));
}

/// `conv2d(x, p, out = O, kernel = K, stride = 1, padding = 0, dilation = 1, groups = 1,
/// bias = true)`: p.weight [O, C / groups, KH, KW] and p.bias [O] (torch.nn.Conv2d).
std::optional<Val> conv2d(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  if (!x)
    return std::nullopt;
  // The weight is either named by a parameter path (declared on first use) or given as a
  // tensor computed in the graph (then there is no bias; add one with broadcasting).
  bool weightTensor = a.at(1)->kind == Val::Kind::Tensor;
  if (!weightTensor && a.at(1)->kind != Val::Kind::Path) {
    a.fail(a.locOf(1), "conv2d's second argument names its parameters (e.g. layer1.0.conv1) "
                       "or is a weight tensor, got " +
                           describe(*a.at(1)));
    return std::nullopt;
  }
  std::optional<std::vector<int64_t>> stride = pairArg(a, 4), padding = pairArg(a, 5),
                                      dilation = pairArg(a, 6);
  std::optional<int64_t> groups = a.integer(7);
  std::optional<bool> hasBias = a.boolean(8);
  if (!stride || !padding || !dilation || !groups || !hasBias)
    return std::nullopt;
  if (shapeOf(*x).size() != 4) {
    a.fail(a.locOf(0), "conv2d input must be [N, C, H, W], got " + describe(*a.at(0)));
    return std::nullopt;
  }
  if (*groups < 1 || shapeOf(*x)[1] % *groups != 0) {
    a.fail(a.locOf(7),
           "conv2d groups must divide the input channels (" + std::to_string(shapeOf(*x)[1]) + ")");
    return std::nullopt;
  }
  std::string p = weightTensor ? "" : a.at(1)->s;
  std::optional<Value> w =
      weightTensor ? std::optional<Value>(a.at(1)->tensor) : a.el.findParam(p + ".weight");
  if (weightTensor)
    hasBias = false;
  if (!w) {
    if (!a.at(2) || !a.at(3)) {
      a.fail(a.locOf(1), "parameter '" + p +
                             ".weight' is not declared: declare it or pass "
                             "out and kernel");
      return std::nullopt;
    }
    std::optional<int64_t> out = a.integer(2);
    std::optional<std::vector<int64_t>> kernel = pairArg(a, 3);
    if (!out || !kernel)
      return std::nullopt;
    if (*out < 1 || (*kernel)[0] < 1 || (*kernel)[1] < 1) {
      a.fail(a.call.loc, "conv2d out and kernel must be >= 1");
      return std::nullopt;
    }
    w = a.el.declareParam(p + ".weight",
                          {*out, shapeOf(*x)[1] / *groups, (*kernel)[0], (*kernel)[1]},
                          a.b().getF32Type(), a.call.loc);
    if (!w)
      return std::nullopt;
  }
  Value bias;
  if (*hasBias && shapeOf(*w).size() == 4) {
    std::optional<Value> bv = a.el.findParam(p + ".bias");
    if (!bv)
      bv = a.el.declareParam(p + ".bias", {shapeOf(*w)[0]}, a.b().getF32Type(), a.call.loc);
    if (!bv)
      return std::nullopt;
    bias = *bv;
  }
  ArrayRef<int64_t> biasShape;
  if (bias)
    biasShape = shapeOf(bias);
  tess::Shape shape;
  if (!check(a, tess::conv2dShape(shapeOf(*x), shapeOf(*w), bias ? &biasShape : nullptr, *stride,
                                  *padding, *dilation, *groups, shape)))
    return std::nullopt;
  return Val::ofTensor(
      a.b().create<tess::Conv2dOp>(a.loc(), *x, *w, bias, *stride, *padding, *dilation, *groups));
}

std::optional<Val> maxPool2d(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::vector<int64_t>> kernel = pairArg(a, 1);
  if (!x || !kernel)
    return std::nullopt;
  std::optional<std::vector<int64_t>> stride = a.at(2) ? pairArg(a, 2) : kernel;
  std::optional<std::vector<int64_t>> padding = pairArg(a, 3);
  if (!stride || !padding)
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::maxPool2dShape(shapeOf(*x), *kernel, *stride, *padding, shape)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::MaxPool2dOp>(a.loc(), *x, *kernel, *stride, *padding));
}

/// `batch_norm(x, p, eps = 1e-5)` in eval mode over channel dimension 1 with p.weight, p.bias,
/// p.running_mean, p.running_var [C] (torch.nn.BatchNorm2d / FrozenBatchNorm2d):
/// y = x * scale + shift, scale = weight * rsqrt(var + eps), shift = bias - mean * scale.
std::optional<Val> batchNorm(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<double> eps = a.number(2);
  if (!x || !eps)
    return std::nullopt;
  if (a.at(1)->kind != Val::Kind::Path) {
    a.fail(a.locOf(1),
           "batch_norm's second argument names its parameters, got " + describe(*a.at(1)));
    return std::nullopt;
  }
  ArrayRef<int64_t> xs = shapeOf(*x);
  if (xs.size() < 2) {
    a.fail(a.locOf(0), "batch_norm input must be [N, C, ...]");
    return std::nullopt;
  }
  int64_t c = xs[1];
  std::string p = a.at(1)->s;
  Type f32 = a.b().getF32Type();
  std::optional<Value> w = a.el.declareParam(p + ".weight", {c}, f32, a.call.loc);
  std::optional<Value> b = w ? a.el.declareParam(p + ".bias", {c}, f32, a.call.loc) : w;
  std::optional<Value> m = b ? a.el.declareParam(p + ".running_mean", {c}, f32, a.call.loc) : b;
  std::optional<Value> v = m ? a.el.declareParam(p + ".running_var", {c}, f32, a.call.loc) : m;
  if (!v)
    return std::nullopt;
  Location loc = a.loc();
  OpBuilder &bl = a.b();
  Value scale = bl.create<tess::MulOp>(
      loc, *w,
      bl.create<tess::RsqrtOp>(
          loc, bl.create<tess::AddOp>(loc, *v, a.el.scalarConstant(*eps, a.call.loc))));
  Value shift = bl.create<tess::SubOp>(loc, *b, bl.create<tess::MulOp>(loc, *m, scale));
  SmallVector<int64_t> chanShape(xs.size() - 1, 1);
  chanShape[0] = c;
  auto chanType = RankedTensorType::get(chanShape, f32);
  Value s4 = bl.create<tess::ReshapeOp>(loc, chanType, scale);
  Value t4 = bl.create<tess::ReshapeOp>(loc, chanType, shift);
  return Val::ofTensor(bl.create<tess::AddOp>(loc, bl.create<tess::MulOp>(loc, *x, s4), t4));
}

std::optional<Val> avgPool2d(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::vector<int64_t>> kernel = pairArg(a, 1);
  if (!x || !kernel)
    return std::nullopt;
  std::optional<std::vector<int64_t>> stride = a.at(2) ? pairArg(a, 2) : kernel;
  std::optional<std::vector<int64_t>> padding = pairArg(a, 3);
  std::optional<bool> includePad = a.boolean(4);
  if (!stride || !padding || !includePad)
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::avgPool2dShape(shapeOf(*x), *kernel, *stride, *padding, shape)))
    return std::nullopt;
  return Val::ofTensor(
      a.b().create<tess::AvgPool2dOp>(a.loc(), *x, *kernel, *stride, *padding, *includePad));
}

std::optional<Val> unfold(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::vector<int64_t>> kernel = pairArg(a, 1), stride = pairArg(a, 2),
                                      padding = pairArg(a, 3);
  if (!x || !kernel || !stride || !padding)
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::unfoldShape(shapeOf(*x), *kernel, *stride, *padding, shape)))
    return std::nullopt;
  return Val::ofTensor(a.b().create<tess::UnfoldOp>(a.loc(), *x, *kernel, *stride, *padding));
}

std::optional<Val> fold(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::vector<int64_t>> size = pairArg(a, 1), kernel = pairArg(a, 2),
                                      stride = pairArg(a, 3), padding = pairArg(a, 4);
  if (!x || !size || !kernel || !stride || !padding)
    return std::nullopt;
  tess::Shape shape;
  if (!check(a, tess::foldShape(shapeOf(*x), *size, *kernel, *stride, *padding, shape)))
    return std::nullopt;
  auto type = RankedTensorType::get(shape, a.b().getF32Type());
  return Val::ofTensor(a.b().create<tess::FoldOp>(a.loc(), type, *x, *kernel, *stride, *padding));
}

/// `interpolate(x, size = [h, w] | scale = s, mode = "nearest")` on [N, C, H, W].
std::optional<Val> interpolate(CallArgs &a) {
  std::optional<Value> x = a.tensor(0);
  std::optional<std::string> mode = a.string(3);
  if (!x || !mode)
    return std::nullopt;
  ArrayRef<int64_t> xs = shapeOf(*x);
  if (xs.size() != 4) {
    a.fail(a.locOf(0), "interpolate input must be [N, C, H, W], got " + describe(*a.at(0)));
    return std::nullopt;
  }
  if (*mode != "nearest" && *mode != "bilinear" && *mode != "bicubic") {
    a.fail(a.locOf(3), "interpolate mode must be \"nearest\", \"bilinear\" or \"bicubic\"");
    return std::nullopt;
  }
  std::vector<int64_t> size;
  if (a.at(1) && a.at(2)) {
    a.fail(a.call.loc, "interpolate takes size or scale, not both");
    return std::nullopt;
  }
  if (a.at(1)) {
    std::optional<std::vector<int64_t>> s = pairArg(a, 1);
    if (!s)
      return std::nullopt;
    size = *s;
  } else if (a.at(2)) {
    std::optional<double> scale = a.number(2);
    if (!scale)
      return std::nullopt;
    // Checked in double first: a huge scale must not reach the (undefined) conversion.
    double h = std::floor(xs[2] * *scale), w = std::floor(xs[3] * *scale);
    if (!(h >= 1 && w >= 1 && h <= double(int64_t(1) << 40) && w <= double(int64_t(1) << 40))) {
      char text[96];
      std::snprintf(text, sizeof text, "interpolate: scale %g gives an output of %g x %g", *scale,
                    h, w);
      a.fail(a.locOf(2), text);
      return std::nullopt;
    }
    size = {int64_t(h), int64_t(w)};
  } else {
    a.fail(a.call.loc, "interpolate needs size = [h, w] or scale = s");
    return std::nullopt;
  }
  if (size[0] < 1 || size[1] < 1) {
    a.fail(a.call.loc, "interpolate output size must be >= 1");
    return std::nullopt;
  }
  auto type = RankedTensorType::get({xs[0], xs[1], size[0], size[1]}, a.b().getF32Type());
  return Val::ofTensor(a.b().create<tess::ResizeOp>(a.loc(), type, *x, *mode));
}

std::optional<Val> einsum(CallArgs &a) {
  std::optional<std::string> eq = a.string(0);
  if (!eq)
    return std::nullopt;
  SmallVector<Value> inputs;
  SmallVector<SmallVector<int64_t, 6>> shapes;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    std::optional<Value> t = a.el.asTensor(a.rest[i], a.restLocs[i], "einsum operand");
    if (!t)
      return std::nullopt;
    inputs.push_back(*t);
    shapes.emplace_back(shapeOf(*t));
  }
  if (inputs.empty()) {
    a.fail(a.call.loc, "einsum needs at least one tensor");
    return std::nullopt;
  }
  tess::EinsumSpec spec;
  tess::Shape shape;
  if (!check(a, tess::parseEinsum(*eq, inputs.size(), spec)) ||
      !check(a, tess::einsumShape(spec, shapes, shape)))
    return std::nullopt;
  auto type = RankedTensorType::get(shape, a.b().getF32Type());
  return Val::ofTensor(a.b().create<tess::EinsumOp>(a.loc(), type, inputs, *eq));
}

/// `path("a.b")`: a parameter path from a string; `path("")` is the root, so a fn written for
/// `p.to_q.weight` can also declare top-level `to_q.weight`.
std::optional<Val> pathOf(CallArgs &a) {
  std::optional<std::string> s = a.string(0);
  if (!s)
    return std::nullopt;
  return Val::ofPath(*s);
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
      {"relu", {{"x", true}}, false, unary<tess::ReluOp>, "max(x, 0)"},
      {"exp", {{"x", true}}, false, unary<tess::ExpOp>, "e^x"},
      {"sqrt", {{"x", true}}, false, unary<tess::SqrtOp>, "square root"},
      {"rsqrt", {{"x", true}}, false, unary<tess::RsqrtOp>, "1 / sqrt(x)"},
      {"tanh", {{"x", true}}, false, unary<tess::TanhOp>, "hyperbolic tangent"},
      {"sigmoid", {{"x", true}}, false, unary<tess::SigmoidOp>, "1 / (1 + e^-x)"},
      {"neg", {{"x", true}}, false, unary<tess::NegOp>, "-x"},
      {"gelu",
       {{"x", true}, {"approximate", false, "\"none\""}},
       false,
       gelu,
       "GELU; approximate = \"none\" (erf, default), \"tanh\" or \"sigmoid\" (x*sigmoid(1.702x))"},
      {"add", {{"a", true}, {"b", true}}, false, binary<'+'>, "a + b (broadcasting)"},
      {"sub", {{"a", true}, {"b", true}}, false, binary<'-'>, "a - b (broadcasting)"},
      {"mul", {{"a", true}, {"b", true}}, false, binary<'*'>, "a * b (broadcasting)"},
      {"div", {{"a", true}, {"b", true}}, false, binary<'/'>, "a / b (broadcasting)"},
      {"maximum", {{"a", true}, {"b", true}}, false, binary<'>'>, "elementwise max (broadcasting)"},
      {"minimum", {{"a", true}, {"b", true}}, false, binary<'<'>, "elementwise min (broadcasting)"},
      {"matmul",
       {{"a", true}, {"b", true}, {"transpose_a", false, "false"}, {"transpose_b", false, "false"}},
       false,
       matmul,
       "batched matrix product, batch dimensions broadcast"},
      {"linear",
       {{"x", true}, {"params", true}, {"out", false}, {"bias", false, "true"}},
       false,
       linear,
       "x @ params.weight^T + params.bias (torch layout); out = N declares the parameters"},
      {"sum",
       {{"x", true}, {"axis", false}, {"keepdims", false, "false"}},
       false,
       reduce<tess::ReduceSumOp>,
       "sum over axis (int or list; default all)"},
      {"mean",
       {{"x", true}, {"axis", false}, {"keepdims", false, "false"}},
       false,
       reduce<tess::ReduceMeanOp>,
       "mean over axis (int or list; default all)"},
      {"max",
       {{"x", true}, {"axis", false}, {"keepdims", false, "false"}},
       false,
       reduce<tess::ReduceMaxOp>,
       "maximum over axis (int or list; default all)"},
      {"softmax",
       {{"x", true}, {"axis", false, "-1"}},
       false,
       softmax,
       "softmax along axis (default -1)"},
      {"layer_norm",
       {{"x", true}, {"params", false}, {"eps", false, "1e-5"}},
       false,
       layerNorm,
       "LayerNorm over the last dimension; params.weight/.bias [D]; eps default 1e-5"},
      {"reshape",
       {{"x", true}, {"shape", true}},
       false,
       reshape,
       "row-major reshape; one dimension may be -1"},
      {"transpose",
       {{"x", true}, {"perm", false}},
       false,
       transpose,
       "permute dimensions (default: swap the last two)"},
      {"permute", {{"x", true}, {"perm", true}}, false, transpose, "permute dimensions"},
      {"concat", {{"axis", false, "0"}}, true, concat, "concat(a, b, ..., axis = 0)"},
      {"dim", {{"x", true}, {"axis", true}}, false, dim, "size of one dimension (an integer)"},
      {"path",
       {{"name", true}},
       false,
       pathOf,
       "a parameter path from a string; path(\"\") is the root (top-level names)"},
      {"sin", {{"x", true}}, false, unary<tess::SinOp>, "sine"},
      {"cos", {{"x", true}}, false, unary<tess::CosOp>, "cosine"},
      {"floor", {{"x", true}}, false, unary<tess::FloorOp>, "round down"},
      {"log", {{"x", true}}, false, unary<tess::LogOp>, "natural logarithm"},
      {"abs", {{"x", true}}, false, unary<tess::AbsOp>, "absolute value"},
      {"pow", {{"a", true}, {"b", true}}, false, binary<'^'>, "a ** b (broadcasting, floats)"},
      {"less", {{"a", true}, {"b", true}}, false, compare<kLt>, "a < b (bool, broadcasting)"},
      {"less_equal", {{"a", true}, {"b", true}}, false, compare<kLe>, "a <= b"},
      {"greater", {{"a", true}, {"b", true}}, false, compare<kGt>, "a > b"},
      {"greater_equal", {{"a", true}, {"b", true}}, false, compare<kGe>, "a >= b"},
      {"equal", {{"a", true}, {"b", true}}, false, compare<kEq>, "a == b"},
      {"not_equal", {{"a", true}, {"b", true}}, false, compare<kNe>, "a != b"},
      {"where",
       {{"condition", true}, {"a", true}, {"b", true}},
       false,
       where,
       "condition ? a : b elementwise (broadcasting)"},
      {"cast",
       {{"x", true}, {"dtype", true}},
       false,
       cast,
       "convert to \"f32\", \"i32\", \"i64\" or \"bool\""},
      {"iota",
       {{"shape", true}, {"axis", true}, {"dtype", false, "\"f32\""}},
       false,
       iota,
       "tensor whose elements are their index along axis"},
      {"arange", {{"n", true}, {"dtype", false, "\"f32\""}}, false, arange, "[0, 1, ..., n-1]"},
      {"full",
       {{"shape", true}, {"value", true}, {"dtype", false, "\"f32\""}},
       false,
       full,
       "constant tensor"},
      {"broadcast_to",
       {{"x", true}, {"shape", true}},
       false,
       broadcastTo,
       "numpy broadcast to shape"},
      {"gather",
       {{"x", true}, {"indices", true}, {"axis", false, "0"}},
       false,
       gather,
       "slices of x at integer indices along axis (indices clamped to range)"},
      {"embedding",
       {{"indices", true}, {"params", true}, {"num", false}, {"dim", false}},
       false,
       embedding,
       "rows of params.weight [num, dim] (torch.nn.Embedding)"},
      {"argmax",
       {{"x", true}, {"axis", false, "-1"}, {"keepdims", false, "false"}},
       false,
       argReduce<tess::ArgMaxOp>,
       "index (i64) of the maximum along axis (first on ties)"},
      {"argmin",
       {{"x", true}, {"axis", false, "-1"}, {"keepdims", false, "false"}},
       false,
       argReduce<tess::ArgMinOp>,
       "index (i64) of the minimum along axis (first on ties)"},
      {"conv2d",
       {{"x", true},
        {"params", true},
        {"out", false},
        {"kernel", false},
        {"stride", false, "1"},
        {"padding", false, "0"},
        {"dilation", false, "1"},
        {"groups", false, "1"},
        {"bias", false, "true"}},
       false,
       conv2d,
       "NCHW convolution with params.weight [out, C/groups, kh, kw] and params.bias"},
      {"max_pool2d",
       {{"x", true}, {"kernel", true}, {"stride", false}, {"padding", false, "0"}},
       false,
       maxPool2d,
       "NCHW max pooling (stride defaults to kernel)"},
      {"avg_pool2d",
       {{"x", true},
        {"kernel", true},
        {"stride", false},
        {"padding", false, "0"},
        {"count_include_pad", false, "true"}},
       false,
       avgPool2d,
       "NCHW average pooling (stride defaults to kernel)"},
      {"unfold",
       {{"x", true}, {"kernel", true}, {"stride", false, "1"}, {"padding", false, "0"}},
       false,
       unfold,
       "sliding blocks [N, C*kh*kw, L] (torch.nn.functional.unfold)"},
      {"fold",
       {{"x", true},
        {"size", true},
        {"kernel", true},
        {"stride", false, "1"},
        {"padding", false, "0"}},
       false,
       fold,
       "sum blocks [N, C*kh*kw, L] into [N, C, h, w] (torch.nn.functional.fold)"},
      {"interpolate",
       {{"x", true}, {"size", false}, {"scale", false}, {"mode", false, "\"nearest\""}},
       false,
       interpolate,
       "resample NCHW: nearest, bilinear or bicubic (align_corners = False)"},
      {"einsum",
       {{"equation", true}},
       true,
       einsum,
       "einsum(\"ij,jk->ik\", a, b): contraction over named axes"},
      {"batch_norm",
       {{"x", true}, {"params", true}, {"eps", false, "1e-5"}},
       false,
       batchNorm,
       "eval-mode BatchNorm over dim 1: weight, bias, running_mean, running_var"},
  };
  return table;
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
        s += std::string("=") + (p.defaultValue ? p.defaultValue : "");
    }
    out.push_back(s + "): " + b.doc);
  }
  return out;
}

std::optional<Val> callBuiltin(Elaborator &el, const Builtin &builtin, const Expr &call,
                               const std::vector<Val> &args, const std::vector<SourceLoc> &argLocs,
                               const std::vector<std::pair<std::string, Val>> &kwargs) {
  CallArgs a{el, builtin, call, {}, {}, {}, {}};
  size_t n = builtin.params.size();
  // Variadic builtins: the leading positional arguments bind the required parameters
  // (einsum's equation); the remaining ones are the variadic tensors.
  size_t lead = args.size();
  if (builtin.variadic) {
    lead = 0;
    while (lead < n && builtin.params[lead].required && lead < args.size())
      ++lead;
    a.rest.assign(args.begin() + lead, args.end());
    a.restLocs.assign(argLocs.begin() + lead, argLocs.end());
  }
  std::vector<ParamSpec> params;
  for (const Param &p : builtin.params)
    params.push_back({p.name, p.required});
  std::optional<BoundArgs> bound = bindArguments(
      el, builtin.name, params, call, std::vector<Val>(args.begin(), args.begin() + lead),
      std::vector<SourceLoc>(argLocs.begin(), argLocs.begin() + lead), kwargs,
      [&] { return builtinSignatures()[&builtin - builtins().data()]; });
  if (!bound)
    return std::nullopt;
  a.values = std::move(bound->values);
  a.locs = std::move(bound->locs);
  for (size_t i = 0; i < n; ++i)
    if (!a.values[i] && builtin.params[i].defaultValue)
      a.values[i] = parseLiteral(builtin.params[i].defaultValue);
  return builtin.handler(a);
}

std::optional<Val> buildTensorOperator(Elaborator &el, char op, Value lhs, Value rhs, SourceLoc l) {
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
  if (op == kFloorDiv) {
    if (!typeOf(lhs).getElementType().isF32()) {
      el.error(l, "'//' on tensors needs f32 operands");
      return std::nullopt;
    }
    return Val::ofTensor(b.create<tess::FloorOp>(loc, b.create<tess::DivOp>(loc, lhs, rhs)));
  }
  const char *pred = op == kLess           ? "lt"
                     : op == kLessEqual    ? "le"
                     : op == kGreater      ? "gt"
                     : op == kGreaterEqual ? "ge"
                     : op == kEqualEqual   ? "eq"
                                           : "ne";
  return Val::ofTensor(b.create<tess::CompareOp>(loc, lhs, rhs, pred));
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
  case '^':
    return Val::ofTensor(b.create<tess::PowOp>(loc, lhs, rhs));
  }
  el.error(l, std::string("unsupported operator '") + op + "'");
  return std::nullopt;
}

} // namespace tessera::frontend
