// Reference interpreter of the tess dialect: every op evaluated with plain loops in double,
// straight from the semantics stated in TessOps.td. Deliberately naive and independent of the
// lowering in passes/; it exists to check the compiler.
#include "tessera/ir/Interpreter.h"

#include "tessera/ir/GraphAttributes.h"
#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>
#include <set>

using namespace mlir;

namespace tessera::tess {

NDArray NDArray::zeros(std::vector<int64_t> shape) {
  NDArray a;
  a.shape = std::move(shape);
  a.data.assign(a.numElements(), 0.0);
  return a;
}

int64_t NDArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

using Dims = std::vector<int64_t>;

int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// Row-major strides (in elements) of `shape`.
Dims stridesOf(ArrayRef<int64_t> shape) {
  Dims s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Advances the multi-index `idx` over `shape` in row-major order; false after the last one.
bool advance(Dims &idx, ArrayRef<int64_t> shape) {
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    if (++idx[d] < shape[d])
      return true;
    idx[d] = 0;
  }
  return false;
}

/// Calls f(idx) for every multi-index of `shape` in row-major order (once for rank 0, never
/// when a dimension is 0).
template <typename F> void forEachIndex(ArrayRef<int64_t> shape, F f) {
  for (int64_t d : shape)
    if (d == 0)
      return;
  Dims idx(shape.size(), 0);
  do
    f(idx);
  while (advance(idx, shape));
}

/// Flat offset into an operand of shape `shape` (right-aligned against `idx`, size-1
/// dimensions broadcast) for the multi-index `idx` of the broadcast result.
int64_t broadcastOffset(ArrayRef<int64_t> idx, ArrayRef<int64_t> shape) {
  int64_t off = 0, stride = 1;
  size_t lead = idx.size() - shape.size();
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] != 1)
      off += idx[lead + d] * stride;
    stride *= shape[d];
  }
  return off;
}

/// numpy broadcast of two shapes; empty optional when they are incompatible.
std::optional<Dims> broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string describeLoc(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  loc.print(os);
  return s;
}

llvm::Error makeErr(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s", msg.c_str());
}

bool isIntegerTensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && isa<IntegerType>(rt.getElementType());
}

class Interpreter {
public:
  llvm::Expected<std::vector<NDArray>> run(func::FuncOp graph,
                                           const std::map<std::string, NDArray> &values);

private:
  /// Evaluates one op into `out`; returns an empty string or the reason it failed.
  std::string eval(Operation *op, NDArray &out);

  const NDArray &get(Value v) { return env_.find(v)->second; }

  std::string evalConstant(ConstantOp op, NDArray &out);
  std::string evalUnary(Operation *op, NDArray &out);
  std::string evalBinary(Operation *op, NDArray &out);
  std::string evalMatmul(MatmulOp op, NDArray &out);
  std::string evalLinear(LinearOp op, NDArray &out);
  std::string evalReduce(Operation *op, ArrayRef<int64_t> axes, bool keepdims, NDArray &out);
  std::string evalSoftmax(SoftmaxOp op, NDArray &out);
  std::string evalLayerNorm(LayerNormOp op, NDArray &out);
  std::string evalReshape(ReshapeOp op, NDArray &out);
  std::string evalTranspose(TransposeOp op, NDArray &out);
  std::string evalSlice(SliceOp op, NDArray &out);
  std::string evalConcat(ConcatOp op, NDArray &out);
  std::string evalCompare(CompareOp op, NDArray &out);
  std::string evalSelect(SelectOp op, NDArray &out);
  std::string evalCast(CastOp op, NDArray &out);
  std::string evalIota(IotaOp op, NDArray &out);
  std::string evalBroadcastTo(BroadcastToOp op, NDArray &out);
  std::string evalGather(GatherOp op, NDArray &out);
  std::string evalArgReduce(Operation *op, int64_t axis, bool keepdims, bool isMax,
                            NDArray &out);
  std::string evalConv2d(Conv2dOp op, NDArray &out);
  std::string evalMaxPool2d(MaxPool2dOp op, NDArray &out);

  llvm::DenseMap<Value, NDArray> env_;
};

llvm::Expected<std::vector<NDArray>>
Interpreter::run(func::FuncOp graph, const std::map<std::string, NDArray> &values) {
  std::string where = "graph '" + graph.getSymName().str() + "'";
  if (graph.isExternal() || !llvm::hasSingleElement(graph.getBody()))
    return makeErr(where + ": expected a body of exactly one block");
  Block &body = graph.getBody().front();

  std::set<std::string> used;
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string kind = "input";
    auto name = graph.getArgAttrOfType<StringAttr>(i, kInputAttr);
    if (!name) {
      name = graph.getArgAttrOfType<StringAttr>(i, kParamAttr);
      kind = "parameter";
    }
    if (!name)
      return makeErr(where + ": argument #" + std::to_string(i) + " has neither " + kInputAttr +
                     " nor " + kParamAttr);
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.hasStaticShape())
      return makeErr(where + ": " + kind + " '" + name.str() +
                     "' is not a statically shaped tensor");
    auto it = values.find(name.str());
    if (it == values.end())
      return makeErr(where + ": no value given for " + kind + " '" + name.str() + "' " +
                     formatShape(type.getShape()));
    const NDArray &v = it->second;
    if (ArrayRef<int64_t>(v.shape) != type.getShape())
      return makeErr(where + ": " + kind + " '" + name.str() + "' has shape " +
                     formatShape(v.shape) + ", expected " + formatShape(type.getShape()));
    if (int64_t(v.data.size()) != v.numElements())
      return makeErr(where + ": " + kind + " '" + name.str() + "' has " +
                     std::to_string(v.data.size()) + " values for shape " +
                     formatShape(v.shape));
    used.insert(name.str());
    env_[arg] = v;
  }
  for (const auto &[name, v] : values)
    if (!used.count(name))
      return makeErr(where + ": value '" + name + "' is neither an input nor a parameter");

  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<NDArray> results;
      for (Value v : ret.getOperands()) {
        if (!env_.count(v))
          return makeErr(where + ": func.return uses a value that is not computed");
        results.push_back(get(v));
      }
      return results;
    }
    if (op.getNumResults() != 1)
      return makeErr(where + ": unsupported op '" + op.getName().getStringRef().str() + "' at " +
                     describeLoc(op.getLoc()));
    for (Value operand : op.getOperands())
      if (!env_.count(operand))
        return makeErr(where + ": " + op.getName().getStringRef().str() + " at " +
                       describeLoc(op.getLoc()) + " uses a value that is not computed yet");
    NDArray out;
    std::string err = eval(&op, out);
    if (err.empty()) {
      auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
      if (!type)
        err = "result is not a ranked tensor";
      else if (ArrayRef<int64_t>(out.shape) != type.getShape())
        err = "computed shape " + formatShape(out.shape) + " but the result type has " +
              formatShape(type.getShape());
      else if (int64_t(out.data.size()) != out.numElements())
        err = "internal: value count does not match shape";
    }
    if (!err.empty())
      return makeErr(where + ": " + op.getName().getStringRef().str() + " at " +
                     describeLoc(op.getLoc()) + ": " + err);
    env_[op.getResult(0)] = std::move(out);
  }
  return makeErr(where + ": body has no func.return");
}

std::string Interpreter::eval(Operation *op, NDArray &out) {
  if (auto c = dyn_cast<ConstantOp>(op))
    return evalConstant(c, out);
  if (isa<ReluOp, ExpOp, SqrtOp, RsqrtOp, NegOp, TanhOp, SigmoidOp, GeluOp, SinOp, CosOp,
          FloorOp, LogOp, AbsOp>(op))
    return evalUnary(op, out);
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp>(op))
    return evalBinary(op, out);
  if (auto m = dyn_cast<MatmulOp>(op))
    return evalMatmul(m, out);
  if (auto l = dyn_cast<LinearOp>(op))
    return evalLinear(l, out);
  if (auto r = dyn_cast<ReduceSumOp>(op))
    return evalReduce(op, r.getAxes(), r.getKeepdims(), out);
  if (auto r = dyn_cast<ReduceMeanOp>(op))
    return evalReduce(op, r.getAxes(), r.getKeepdims(), out);
  if (auto r = dyn_cast<ReduceMaxOp>(op))
    return evalReduce(op, r.getAxes(), r.getKeepdims(), out);
  if (auto s = dyn_cast<SoftmaxOp>(op))
    return evalSoftmax(s, out);
  if (auto l = dyn_cast<LayerNormOp>(op))
    return evalLayerNorm(l, out);
  if (auto r = dyn_cast<ReshapeOp>(op))
    return evalReshape(r, out);
  if (auto t = dyn_cast<TransposeOp>(op))
    return evalTranspose(t, out);
  if (auto s = dyn_cast<SliceOp>(op))
    return evalSlice(s, out);
  if (auto c = dyn_cast<ConcatOp>(op))
    return evalConcat(c, out);
  if (auto c = dyn_cast<CompareOp>(op))
    return evalCompare(c, out);
  if (auto s = dyn_cast<SelectOp>(op))
    return evalSelect(s, out);
  if (auto c = dyn_cast<CastOp>(op))
    return evalCast(c, out);
  if (auto i = dyn_cast<IotaOp>(op))
    return evalIota(i, out);
  if (auto b = dyn_cast<BroadcastToOp>(op))
    return evalBroadcastTo(b, out);
  if (auto g = dyn_cast<GatherOp>(op))
    return evalGather(g, out);
  if (auto a = dyn_cast<ArgMaxOp>(op))
    return evalArgReduce(op, a.getAxis(), a.getKeepdims(), /*isMax=*/true, out);
  if (auto a = dyn_cast<ArgMinOp>(op))
    return evalArgReduce(op, a.getAxis(), a.getKeepdims(), /*isMax=*/false, out);
  if (auto c = dyn_cast<Conv2dOp>(op))
    return evalConv2d(c, out);
  if (auto m = dyn_cast<MaxPool2dOp>(op))
    return evalMaxPool2d(m, out);
  return "unsupported op";
}

std::string Interpreter::evalConstant(ConstantOp op, NDArray &out) {
  auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!attr)
    return "only dense elements constants are supported";
  auto type = cast<ShapedType>(attr.getType());
  out.shape.assign(type.getShape().begin(), type.getShape().end());
  Type et = type.getElementType();
  if (isa<FloatType>(et)) {
    for (const APFloat &v : attr.getValues<APFloat>()) {
      bool lost;
      APFloat d = v;
      d.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      out.data.push_back(d.convertToDouble());
    }
  } else if (auto it = dyn_cast<IntegerType>(et)) {
    bool isBool = it.getWidth() == 1;
    for (const APInt &v : attr.getValues<APInt>())
      out.data.push_back(isBool ? double(v.getZExtValue()) : double(v.getSExtValue()));
  } else {
    return "unsupported constant element type";
  }
  return "";
}

double geluExact(double x) { return x * 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); }
double geluTanh(double x) {
  const double pi = 3.14159265358979323846;
  const double c = std::sqrt(2.0 / pi);
  return x * 0.5 * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double geluSigmoid(double x) { return x * sigmoid(1.702 * x); }

std::string Interpreter::evalUnary(Operation *op, NDArray &out) {
  const NDArray &x = get(op->getOperand(0));
  double (*f)(double) = nullptr;
  if (isa<ReluOp>(op))
    f = [](double v) { return v > 0 ? v : (std::isnan(v) ? v : 0.0); };
  else if (isa<ExpOp>(op))
    f = [](double v) { return std::exp(v); };
  else if (isa<SqrtOp>(op))
    f = [](double v) { return std::sqrt(v); };
  else if (isa<RsqrtOp>(op))
    f = [](double v) { return 1.0 / std::sqrt(v); };
  else if (isa<NegOp>(op))
    f = [](double v) { return -v; };
  else if (isa<TanhOp>(op))
    f = [](double v) { return std::tanh(v); };
  else if (isa<SigmoidOp>(op))
    f = sigmoid;
  else if (isa<SinOp>(op))
    f = [](double v) { return std::sin(v); };
  else if (isa<CosOp>(op))
    f = [](double v) { return std::cos(v); };
  else if (isa<FloorOp>(op))
    f = [](double v) { return std::floor(v); };
  else if (isa<LogOp>(op))
    f = [](double v) { return std::log(v); };
  else if (isa<AbsOp>(op))
    f = [](double v) { return std::fabs(v); };
  else if (auto g = dyn_cast<GeluOp>(op)) {
    StringRef approx = g.getApproximate();
    if (approx == "none")
      f = geluExact;
    else if (approx == "tanh")
      f = geluTanh;
    else if (approx == "sigmoid")
      f = geluSigmoid;
    else
      return "unknown gelu approximation '" + approx.str() + "'";
  }
  out.shape = x.shape;
  out.data.resize(x.data.size());
  for (size_t i = 0; i < x.data.size(); ++i)
    out.data[i] = f(x.data[i]);
  return "";
}

std::string Interpreter::evalBinary(Operation *op, NDArray &out) {
  const NDArray &a = get(op->getOperand(0));
  const NDArray &b = get(op->getOperand(1));
  std::optional<Dims> shape = broadcast(a.shape, b.shape);
  if (!shape)
    return "operand shapes " + formatShape(a.shape) + " and " + formatShape(b.shape) +
           " do not broadcast";
  bool isInt = isIntegerTensor(op->getResult(0).getType());
  char kind = isa<AddOp>(op)   ? '+'
              : isa<SubOp>(op) ? '-'
              : isa<MulOp>(op) ? '*'
              : isa<DivOp>(op) ? '/'
              : isa<MaxOp>(op) ? '>'
              : isa<PowOp>(op) ? '^'
                               : '<';
  if (kind == '^' && isInt)
    return "pow is defined on floats only";
  out = NDArray::zeros(*shape);
  int64_t k = 0;
  std::string err;
  forEachIndex(*shape, [&](const Dims &idx) {
    double x = a.data[broadcastOffset(idx, a.shape)];
    double y = b.data[broadcastOffset(idx, b.shape)];
    double r = 0;
    switch (kind) {
    case '+':
      r = x + y;
      break;
    case '-':
      r = x - y;
      break;
    case '*':
      r = x * y;
      break;
    case '/':
      if (isInt) {
        if (y == 0)
          err = "integer division by zero";
        r = y == 0 ? 0 : std::trunc(x / y);
      } else {
        r = x / y;
      }
      break;
    case '^':
      r = std::pow(x, y);
      break;
    case '>':
      r = (std::isnan(x) || std::isnan(y)) ? std::numeric_limits<double>::quiet_NaN()
                                           : std::max(x, y);
      break;
    default:
      r = (std::isnan(x) || std::isnan(y)) ? std::numeric_limits<double>::quiet_NaN()
                                           : std::min(x, y);
      break;
    }
    out.data[k++] = r;
  });
  return err;
}

std::string Interpreter::evalMatmul(MatmulOp op, NDArray &out) {
  const NDArray &a = get(op.getLhs());
  const NDArray &b = get(op.getRhs());
  bool ta = op.getTransposeLhs(), tb = op.getTransposeRhs();
  size_t ra = a.shape.size(), rb = b.shape.size();
  if (ra < 2 || rb < 2)
    return "operands must have rank >= 2";
  int64_t m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  int64_t k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  int64_t kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  int64_t n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k != kb)
    return "contraction sizes differ: " + std::to_string(k) + " vs " + std::to_string(kb);
  Dims batchA(a.shape.begin(), a.shape.end() - 2), batchB(b.shape.begin(), b.shape.end() - 2);
  std::optional<Dims> batch = broadcast(batchA, batchB);
  if (!batch)
    return "batch dimensions " + formatShape(batchA) + " and " + formatShape(batchB) +
           " do not broadcast";
  Dims shape = *batch;
  shape.push_back(m);
  shape.push_back(n);
  out = NDArray::zeros(shape);
  int64_t matA = m * k, matB = k * n, matC = m * n, c = 0;
  forEachIndex(*batch, [&](const Dims &bi) {
    const double *pa = a.data.data() + broadcastOffset(bi, batchA) * matA;
    const double *pb = b.data.data() + broadcastOffset(bi, batchB) * matB;
    double *pc = out.data.data() + c * matC;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t l = 0; l < k; ++l) {
          double x = ta ? pa[l * m + i] : pa[i * k + l]; // lhs[i, l]
          double y = tb ? pb[j * k + l] : pb[l * n + j]; // rhs[l, j]
          s += x * y;
        }
        pc[i * n + j] = s;
      }
    ++c;
  });
  return "";
}

std::string Interpreter::evalLinear(LinearOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  const NDArray &w = get(op.getWeight());
  const NDArray *bias = op.getBias() ? &get(op.getBias()) : nullptr;
  if (x.shape.empty() || w.shape.size() != 2)
    return "input must have rank >= 1 and weight rank 2";
  int64_t in = x.shape.back(), outDim = w.shape[0];
  if (w.shape[1] != in)
    return "weight " + formatShape(w.shape) + " does not take " + std::to_string(in) +
           " input features";
  if (bias && bias->shape != Dims{outDim})
    return "bias shape " + formatShape(bias->shape) + " is not [" + std::to_string(outDim) + "]";
  Dims shape = x.shape;
  shape.back() = outDim;
  out = NDArray::zeros(shape);
  int64_t rows = product(ArrayRef<int64_t>(x.shape).drop_back());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < outDim; ++o) {
      double s = 0;
      for (int64_t i = 0; i < in; ++i)
        s += x.data[r * in + i] * w.data[o * in + i];
      out.data[r * outDim + o] = s + (bias ? bias->data[o] : 0.0);
    }
  return "";
}

std::string Interpreter::evalReduce(Operation *op, ArrayRef<int64_t> axes, bool keepdims,
                                    NDArray &out) {
  const NDArray &x = get(op->getOperand(0));
  int64_t rank = x.shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t ax : axes) {
    if (ax < 0 || ax >= rank)
      return "axis " + std::to_string(ax) + " is out of range for rank " + std::to_string(rank);
    if (reduced[ax])
      return "axis " + std::to_string(ax) + " is repeated";
    reduced[ax] = true;
  }
  Dims shape, kept; // kept: the result shape with reduced axes as size 1 (keepdims layout)
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    kept.push_back(reduced[d] ? 1 : x.shape[d]);
    if (reduced[d])
      count *= x.shape[d];
    if (!reduced[d] || keepdims)
      shape.push_back(reduced[d] ? 1 : x.shape[d]);
  }
  // Row-major strides of the kept layout, zero along reduced axes: the flat result index of an
  // input element. Dropping size-1 axes does not change flat indices.
  Dims strides = stridesOf(kept);
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      strides[d] = 0;
  bool isMax = isa<ReduceMaxOp>(op);
  out = NDArray::zeros(shape);
  if (isMax)
    std::fill(out.data.begin(), out.data.end(), -std::numeric_limits<double>::infinity());
  int64_t flat = 0;
  forEachIndex(x.shape, [&](const Dims &idx) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      o += idx[d] * strides[d];
    double v = x.data[flat++];
    if (isMax) {
      if (v > out.data[o] || std::isnan(v))
        out.data[o] = v;
    } else {
      out.data[o] += v;
    }
  });
  if (isa<ReduceMeanOp>(op))
    for (double &v : out.data)
      v /= double(count);
  return "";
}

std::string Interpreter::evalSoftmax(SoftmaxOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  int64_t rank = x.shape.size(), axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank);
  int64_t outer = product(ArrayRef<int64_t>(x.shape).take_front(axis));
  int64_t n = x.shape[axis];
  int64_t inner = product(ArrayRef<int64_t>(x.shape).drop_front(axis + 1));
  out = NDArray::zeros(x.shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * n * inner + i;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < n; ++j)
        mx = std::max(mx, x.data[base + j * inner]);
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        double e = std::exp(x.data[base + j * inner] - mx);
        out.data[base + j * inner] = e;
        sum += e;
      }
      for (int64_t j = 0; j < n; ++j)
        out.data[base + j * inner] /= sum;
    }
  return "";
}

std::string Interpreter::evalLayerNorm(LayerNormOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  if (x.shape.empty())
    return "input must have rank >= 1";
  int64_t d = x.shape.back();
  const NDArray *w = op.getWeight() ? &get(op.getWeight()) : nullptr;
  const NDArray *b = op.getBias() ? &get(op.getBias()) : nullptr;
  if ((w && w->shape != Dims{d}) || (b && b->shape != Dims{d}))
    return "weight and bias must have shape [" + std::to_string(d) + "]";
  double eps = op.getEpsAttr().getValueAsDouble();
  out = NDArray::zeros(x.shape);
  int64_t rows = d == 0 ? 0 : x.numElements() / d;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * d;
    double mean = 0;
    for (int64_t i = 0; i < d; ++i)
      mean += row[i];
    mean /= double(d);
    double var = 0;
    for (int64_t i = 0; i < d; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= double(d); // biased
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < d; ++i) {
      double v = (row[i] - mean) * inv;
      if (w)
        v *= w->data[i];
      if (b)
        v += b->data[i];
      out.data[r * d + i] = v;
    }
  }
  return "";
}

std::string Interpreter::evalReshape(ReshapeOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  auto type = cast<RankedTensorType>(op.getResult().getType());
  Dims shape(type.getShape().begin(), type.getShape().end());
  if (product(shape) != x.numElements())
    return "cannot reshape " + formatShape(x.shape) + " to " + formatShape(shape);
  out.shape = shape;
  out.data = x.data;
  return "";
}

std::string Interpreter::evalTranspose(TransposeOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  ArrayRef<int64_t> perm = op.getPermutation();
  int64_t rank = x.shape.size();
  if (int64_t(perm.size()) != rank)
    return "permutation has " + std::to_string(perm.size()) + " entries for rank " +
           std::to_string(rank);
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return "permutation is not a permutation of [0, rank)";
    seen[p] = true;
  }
  Dims shape(rank), inStrides = stridesOf(x.shape);
  for (int64_t i = 0; i < rank; ++i)
    shape[i] = x.shape[perm[i]];
  out = NDArray::zeros(shape);
  int64_t flat = 0;
  forEachIndex(shape, [&](const Dims &j) {
    // input index i with i[perm[k]] = j[k]
    int64_t off = 0;
    for (int64_t k = 0; k < rank; ++k)
      off += j[k] * inStrides[perm[k]];
    out.data[flat++] = x.data[off];
  });
  return "";
}

std::string Interpreter::evalSlice(SliceOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  ArrayRef<int64_t> starts = op.getStarts(), limits = op.getLimits(), strides = op.getStrides();
  size_t rank = x.shape.size();
  if (starts.size() != rank || limits.size() != rank || strides.size() != rank)
    return "starts, limits and strides must each have one entry per dimension";
  Dims shape(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (!(0 <= starts[d] && starts[d] <= limits[d] && limits[d] <= x.shape[d]) || strides[d] < 1)
      return "bad slice bounds in dimension " + std::to_string(d);
    shape[d] = (limits[d] - starts[d] + strides[d] - 1) / strides[d];
  }
  Dims inStrides = stridesOf(x.shape);
  out = NDArray::zeros(shape);
  int64_t flat = 0;
  forEachIndex(shape, [&](const Dims &j) {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d)
      off += (starts[d] + j[d] * strides[d]) * inStrides[d];
    out.data[flat++] = x.data[off];
  });
  return "";
}

std::string Interpreter::evalConcat(ConcatOp op, NDArray &out) {
  int64_t axis = op.getAxis();
  std::vector<const NDArray *> ins;
  for (Value v : op.getInputs())
    ins.push_back(&get(v));
  if (ins.empty())
    return "no inputs";
  int64_t rank = ins[0]->shape.size();
  if (axis < 0 || axis >= rank)
    return "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank);
  Dims shape = ins[0]->shape;
  shape[axis] = 0;
  for (const NDArray *in : ins) {
    if (int64_t(in->shape.size()) != rank)
      return "inputs have different ranks";
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && in->shape[d] != shape[d])
        return "inputs differ outside the concatenation axis";
    shape[axis] += in->shape[axis];
  }
  out = NDArray::zeros(shape);
  int64_t outer = product(ArrayRef<int64_t>(shape).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(axis + 1));
  int64_t rowOut = shape[axis] * inner, offset = 0;
  for (const NDArray *in : ins) {
    int64_t chunk = in->shape[axis] * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < chunk; ++c)
        out.data[o * rowOut + offset + c] = in->data[o * chunk + c];
    offset += chunk;
  }
  return "";
}

} // namespace

llvm::Expected<std::vector<NDArray>> interpretGraph(func::FuncOp graph,
                                                    const std::map<std::string, NDArray> &values) {
  Interpreter interp;
  return interp.run(graph, values);
}

} // namespace tessera::tess
