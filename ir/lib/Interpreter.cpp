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
  std::string evalUnary(ElementwiseUnaryOpInterface op, NDArray &out);
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
  std::string evalArgReduce(Operation *op, int64_t axis, bool keepdims, bool isMax, NDArray &out);
  std::string evalConv2d(Conv2dOp op, NDArray &out);
  std::string evalMaxPool2d(MaxPool2dOp op, NDArray &out);
  std::string evalAvgPool2d(AvgPool2dOp op, NDArray &out);
  std::string evalUnfold(UnfoldOp op, NDArray &out);
  std::string evalFold(FoldOp op, NDArray &out);
  std::string evalResize(ResizeOp op, NDArray &out);
  std::string evalEinsum(EinsumOp op, NDArray &out);
  std::string evalAttention(AttentionOp op, NDArray &out);

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
                     std::to_string(v.data.size()) + " values for shape " + formatShape(v.shape));
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
  if (auto unary = dyn_cast<ElementwiseUnaryOpInterface>(op))
    return evalUnary(unary, out);
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
  if (auto a = dyn_cast<AvgPool2dOp>(op))
    return evalAvgPool2d(a, out);
  if (auto u = dyn_cast<UnfoldOp>(op))
    return evalUnfold(u, out);
  if (auto f = dyn_cast<FoldOp>(op))
    return evalFold(f, out);
  if (auto r = dyn_cast<ResizeOp>(op))
    return evalResize(r, out);
  if (auto e = dyn_cast<EinsumOp>(op))
    return evalEinsum(e, out);
  if (auto a = dyn_cast<AttentionOp>(op))
    return evalAttention(a, out);
  // tensor.empty: the destination of destination-style ops (tess.attention's init), whose
  // contents are never read; zeros of the result type.
  if (op->getName().getStringRef() == "tensor.empty" && op->getNumOperands() == 0) {
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.hasStaticShape())
      return "tensor.empty must have a static shape";
    out = NDArray::zeros(Dims(type.getShape().begin(), type.getShape().end()));
    return "";
  }
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

std::string Interpreter::evalUnary(ElementwiseUnaryOpInterface op, NDArray &out) {
  const NDArray &x = get(op->getOperand(0));
  out.shape = x.shape;
  out.data.resize(x.data.size());
  for (size_t i = 0; i < x.data.size(); ++i)
    out.data[i] = op.evaluateElement(x.data[i]);
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
    shape[d] = limits[d] == starts[d] ? 0 : (limits[d] - starts[d] - 1) / strides[d] + 1;
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

std::string Interpreter::evalCompare(CompareOp op, NDArray &out) {
  const NDArray &a = get(op.getLhs());
  const NDArray &b = get(op.getRhs());
  std::optional<Dims> shape = broadcast(a.shape, b.shape);
  if (!shape)
    return "operand shapes " + formatShape(a.shape) + " and " + formatShape(b.shape) +
           " do not broadcast";
  StringRef p = op.getPredicate();
  int kind = p == "lt"   ? 0
             : p == "le" ? 1
             : p == "gt" ? 2
             : p == "ge" ? 3
             : p == "eq" ? 4
             : p == "ne" ? 5
                         : -1;
  if (kind < 0)
    return "unknown predicate '" + p.str() + "'";
  out = NDArray::zeros(*shape);
  int64_t k = 0;
  forEachIndex(*shape, [&](const Dims &idx) {
    double x = a.data[broadcastOffset(idx, a.shape)];
    double y = b.data[broadcastOffset(idx, b.shape)];
    bool r;
    if (std::isnan(x) || std::isnan(y)) {
      r = kind == 5; // ordered comparisons are false with NaN; "ne" is true
    } else {
      switch (kind) {
      case 0:
        r = x < y;
        break;
      case 1:
        r = x <= y;
        break;
      case 2:
        r = x > y;
        break;
      case 3:
        r = x >= y;
        break;
      case 4:
        r = x == y;
        break;
      default:
        r = x != y;
        break;
      }
    }
    out.data[k++] = r ? 1.0 : 0.0;
  });
  return "";
}

std::string Interpreter::evalSelect(SelectOp op, NDArray &out) {
  const NDArray &c = get(op.getCondition());
  const NDArray &t = get(op.getOnTrue());
  const NDArray &f = get(op.getOnFalse());
  std::optional<Dims> tf = broadcast(t.shape, f.shape);
  std::optional<Dims> shape = tf ? broadcast(c.shape, *tf) : std::nullopt;
  if (!shape)
    return "operand shapes " + formatShape(c.shape) + ", " + formatShape(t.shape) + " and " +
           formatShape(f.shape) + " do not broadcast";
  out = NDArray::zeros(*shape);
  int64_t k = 0;
  forEachIndex(*shape, [&](const Dims &idx) {
    out.data[k++] = c.data[broadcastOffset(idx, c.shape)] != 0
                        ? t.data[broadcastOffset(idx, t.shape)]
                        : f.data[broadcastOffset(idx, f.shape)];
  });
  return "";
}

/// Converts one value of element type `from` to `to` with the semantics of tess.cast:
/// integer -> f32 rounds to the nearest f32; float -> integer truncates toward zero (a value
/// outside the target's range is an error: the compiled code's result is undefined there);
/// i1 is 0 / 1; integers widen with sign extension and narrow by two's complement truncation.
/// Conversion *to* i1 is `value != 0` (numpy's astype(bool)): TessOps.td does not single this
/// case out, and "narrow by truncation" (keep the low bit) would make cast(2, "bool") false.
double convertValue(double v, Type from, Type to, std::string &err) {
  if (from == to)
    return v;
  if (isa<FloatType>(to)) {
    if (isa<FloatType>(from) || from.isInteger(1))
      return v;
    return double(float(v)); // round to nearest f32
  }
  unsigned width = cast<IntegerType>(to).getWidth();
  if (width == 1)
    return v != 0 ? 1.0 : 0.0; // NaN != 0 as well
  if (isa<FloatType>(from)) {
    double t = std::trunc(v);
    double lo = -std::ldexp(1.0, width - 1), hi = std::ldexp(1.0, width - 1);
    if (!(t >= lo && t < hi)) {
      err = "cannot convert " + std::to_string(v) + " to i" + std::to_string(width) +
            ": out of range";
      return 0;
    }
    return t;
  }
  // Integer to integer: widening keeps the value (i1 is already 0 / 1); narrowing keeps the
  // low bits.
  unsigned fromWidth = cast<IntegerType>(from).getWidth();
  if (width >= fromWidth)
    return v;
  uint64_t bits = uint64_t(int64_t(v)) & ((uint64_t(1) << width) - 1);
  if (bits >> (width - 1))
    return double(int64_t(bits) - int64_t(uint64_t(1) << width));
  return double(bits);
}

Type elementTypeOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

std::string Interpreter::evalCast(CastOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  Type from = elementTypeOf(op.getInput()), to = elementTypeOf(op.getResult());
  out.shape = x.shape;
  out.data.resize(x.data.size());
  std::string err;
  for (size_t i = 0; i < x.data.size() && err.empty(); ++i)
    out.data[i] = convertValue(x.data[i], from, to, err);
  return err;
}

std::string Interpreter::evalIota(IotaOp op, NDArray &out) {
  auto type = cast<RankedTensorType>(op.getResult().getType());
  Dims shape(type.getShape().begin(), type.getShape().end());
  int64_t axis = op.getAxis();
  if (axis < 0 || axis >= int64_t(shape.size()))
    return "axis " + std::to_string(axis) + " is out of range for rank " +
           std::to_string(shape.size());
  Type i64 = IntegerType::get(op.getContext(), 64);
  out = NDArray::zeros(shape);
  int64_t k = 0;
  std::string err;
  forEachIndex(shape, [&](const Dims &idx) {
    out.data[k++] = convertValue(double(idx[axis]), i64, type.getElementType(), err);
  });
  return err;
}

std::string Interpreter::evalBroadcastTo(BroadcastToOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  auto type = cast<RankedTensorType>(op.getResult().getType());
  Dims shape(type.getShape().begin(), type.getShape().end());
  std::optional<Dims> b = broadcast(x.shape, shape);
  if (!b || *b != shape)
    return "cannot broadcast " + formatShape(x.shape) + " to " + formatShape(shape);
  out = NDArray::zeros(shape);
  int64_t k = 0;
  forEachIndex(shape,
               [&](const Dims &idx) { out.data[k++] = x.data[broadcastOffset(idx, x.shape)]; });
  return "";
}

std::string Interpreter::evalGather(GatherOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  const NDArray &ix = get(op.getIndices());
  Type it = elementTypeOf(op.getIndices());
  if (!it.isInteger(32) && !it.isInteger(64))
    return "indices must be i32 or i64";
  int64_t rank = x.shape.size(), axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank);
  int64_t n = x.shape[axis];
  if (n < 1)
    return "cannot gather from an empty dimension";
  Dims shape(x.shape.begin(), x.shape.begin() + axis);
  shape.insert(shape.end(), ix.shape.begin(), ix.shape.end());
  shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  int64_t outer = product(ArrayRef<int64_t>(x.shape).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(x.shape).drop_front(axis + 1));
  int64_t m = ix.numElements();
  out = NDArray::zeros(shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < m; ++j) {
      // clamp(indices[j]) into [0, n - 1]
      int64_t k = int64_t(std::min(std::max(ix.data[j], 0.0), double(n - 1)));
      for (int64_t i = 0; i < inner; ++i)
        out.data[(o * m + j) * inner + i] = x.data[(o * n + k) * inner + i];
    }
  return "";
}

std::string Interpreter::evalArgReduce(Operation *op, int64_t axis, bool keepdims, bool isMax,
                                       NDArray &out) {
  const NDArray &x = get(op->getOperand(0));
  int64_t rank = x.shape.size();
  if (axis < 0 || axis >= rank)
    return "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank);
  Dims shape;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis || keepdims)
      shape.push_back(d == axis ? 1 : x.shape[d]);
  int64_t outer = product(ArrayRef<int64_t>(x.shape).take_front(axis));
  int64_t n = x.shape[axis];
  int64_t inner = product(ArrayRef<int64_t>(x.shape).drop_front(axis + 1));
  out = NDArray::zeros(shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const double *row = x.data.data() + o * n * inner + i;
      // The extreme value first (NaNs are not compared, as in an ordered comparison), then
      // the first index holding it; 0 when every value is NaN.
      double best = isMax ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < n; ++j) {
        double v = row[j * inner];
        if (isMax ? v > best : v < best)
          best = v;
      }
      int64_t at = 0;
      for (int64_t j = 0; j < n; ++j)
        if (row[j * inner] == best) {
          at = j;
          break;
        }
      out.data[o * inner + i] = double(at);
    }
  return "";
}

std::string Interpreter::evalConv2d(Conv2dOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  const NDArray &w = get(op.getWeight());
  const NDArray *bias = op.getBias() ? &get(op.getBias()) : nullptr;
  ArrayRef<int64_t> st = op.getStrides(), pad = op.getPadding(), dil = op.getDilation();
  int64_t groups = op.getGroups();
  if (x.shape.size() != 4 || w.shape.size() != 4)
    return "input and weight must have rank 4";
  if (st.size() != 2 || pad.size() != 2 || dil.size() != 2)
    return "strides, padding and dilation need two entries each";
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t O = w.shape[0], KH = w.shape[2], KW = w.shape[3];
  if (groups < 1 || C % groups || O % groups || w.shape[1] != C / groups)
    return "weight " + formatShape(w.shape) + " and groups " + std::to_string(groups) +
           " do not fit input " + formatShape(x.shape);
  if (bias && bias->shape != Dims{O})
    return "bias shape " + formatShape(bias->shape) + " is not [" + std::to_string(O) + "]";
  if (st[0] < 1 || st[1] < 1 || dil[0] < 1 || dil[1] < 1 || pad[0] < 0 || pad[1] < 0)
    return "bad strides, padding or dilation";
  int64_t OH = (H + 2 * pad[0] - dil[0] * (KH - 1) - 1) / st[0] + 1;
  int64_t OW = (W + 2 * pad[1] - dil[1] * (KW - 1) - 1) / st[1] + 1;
  if (OH < 1 || OW < 1)
    return "the dilated kernel is larger than the padded input";
  int64_t Cg = C / groups, Og = O / groups;
  out = NDArray::zeros({N, O, OH, OW});
  auto X = [&](int64_t n, int64_t c, int64_t y, int64_t xx) {
    return x.data[((n * C + c) * H + y) * W + xx];
  };
  auto Wt = [&](int64_t o, int64_t c, int64_t i, int64_t j) {
    return w.data[((o * Cg + c) * KH + i) * KW + j];
  };
  int64_t k = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      int64_t g = o / Og;
      for (int64_t y = 0; y < OH; ++y)
        for (int64_t xx = 0; xx < OW; ++xx) {
          double s = bias ? bias->data[o] : 0.0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t i = 0; i < KH; ++i) {
              int64_t iy = y * st[0] + i * dil[0] - pad[0];
              if (iy < 0 || iy >= H)
                continue; // zero padding
              for (int64_t j = 0; j < KW; ++j) {
                int64_t ix = xx * st[1] + j * dil[1] - pad[1];
                if (ix < 0 || ix >= W)
                  continue;
                s += X(n, g * Cg + c, iy, ix) * Wt(o, c, i, j);
              }
            }
          out.data[k++] = s;
        }
    }
  return "";
}

std::string Interpreter::evalMaxPool2d(MaxPool2dOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  ArrayRef<int64_t> ker = op.getKernel(), st = op.getStrides(), pad = op.getPadding();
  if (x.shape.size() != 4)
    return "input must have rank 4";
  if (ker.size() != 2 || st.size() != 2 || pad.size() != 2)
    return "kernel, strides and padding need two entries each";
  if (ker[0] < 1 || ker[1] < 1 || st[0] < 1 || st[1] < 1 || pad[0] < 0 || pad[1] < 0 ||
      2 * pad[0] > ker[0] || 2 * pad[1] > ker[1])
    return "bad kernel, strides or padding";
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t OH = (H + 2 * pad[0] - ker[0]) / st[0] + 1;
  int64_t OW = (W + 2 * pad[1] - ker[1]) / st[1] + 1;
  if (OH < 1 || OW < 1)
    return "the kernel is larger than the padded input";
  out = NDArray::zeros({N, C, OH, OW});
  int64_t k = 0;
  for (int64_t nc = 0; nc < N * C; ++nc)
    for (int64_t y = 0; y < OH; ++y)
      for (int64_t xx = 0; xx < OW; ++xx) {
        double r = -std::numeric_limits<double>::infinity(); // padding is -inf
        for (int64_t i = 0; i < ker[0]; ++i) {
          int64_t iy = y * st[0] + i - pad[0];
          if (iy < 0 || iy >= H)
            continue;
          for (int64_t j = 0; j < ker[1]; ++j) {
            int64_t ix = xx * st[1] + j - pad[1];
            if (ix < 0 || ix >= W)
              continue;
            double v = x.data[(nc * H + iy) * W + ix];
            if (v > r || std::isnan(v))
              r = v;
          }
        }
        out.data[k++] = r;
      }
  return "";
}

std::string Interpreter::evalAvgPool2d(AvgPool2dOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  ArrayRef<int64_t> ker = op.getKernel(), st = op.getStrides(), pad = op.getPadding();
  if (x.shape.size() != 4)
    return "input must have rank 4";
  if (ker.size() != 2 || st.size() != 2 || pad.size() != 2)
    return "kernel, strides and padding need two entries each";
  if (ker[0] < 1 || ker[1] < 1 || st[0] < 1 || st[1] < 1 || pad[0] < 0 || pad[1] < 0)
    return "bad kernel, strides or padding";
  bool includePad = op.getCountIncludePad();
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t OH = (H + 2 * pad[0] - ker[0]) / st[0] + 1;
  int64_t OW = (W + 2 * pad[1] - ker[1]) / st[1] + 1;
  if (OH < 1 || OW < 1)
    return "the kernel is larger than the padded input";
  out = NDArray::zeros({N, C, OH, OW});
  int64_t k = 0;
  for (int64_t nc = 0; nc < N * C; ++nc)
    for (int64_t y = 0; y < OH; ++y)
      for (int64_t xx = 0; xx < OW; ++xx) {
        double s = 0.0;
        int64_t inside = 0;
        for (int64_t i = 0; i < ker[0]; ++i) {
          int64_t iy = y * st[0] + i - pad[0];
          if (iy < 0 || iy >= H)
            continue; // zero padding
          for (int64_t j = 0; j < ker[1]; ++j) {
            int64_t ix = xx * st[1] + j - pad[1];
            if (ix < 0 || ix >= W)
              continue;
            s += x.data[(nc * H + iy) * W + ix];
            ++inside;
          }
        }
        double count = includePad ? double(ker[0] * ker[1]) : double(inside);
        if (count == 0)
          return "a window lies entirely in the padding";
        out.data[k++] = s / count;
      }
  return "";
}

/// Shared geometry of unfold / fold: image [N, C, H, W] <-> columns [N, C*KH*KW, OH*OW].
struct PatchGeometry {
  int64_t N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW;
};

std::string patchGeometry(ArrayRef<int64_t> ker, ArrayRef<int64_t> st, ArrayRef<int64_t> pad,
                          PatchGeometry &g) {
  if (ker.size() != 2 || st.size() != 2 || pad.size() != 2)
    return "kernel, strides and padding need two entries each";
  if (ker[0] < 1 || ker[1] < 1 || st[0] < 1 || st[1] < 1 || pad[0] < 0 || pad[1] < 0)
    return "bad kernel, strides or padding";
  g.KH = ker[0], g.KW = ker[1], g.SH = st[0], g.SW = st[1], g.PH = pad[0], g.PW = pad[1];
  g.OH = (g.H + 2 * g.PH - g.KH) / g.SH + 1;
  g.OW = (g.W + 2 * g.PW - g.KW) / g.SW + 1;
  if (g.OH < 1 || g.OW < 1 || g.H + 2 * g.PH < g.KH || g.W + 2 * g.PW < g.KW)
    return "the kernel is larger than the padded input";
  return "";
}

std::string Interpreter::evalUnfold(UnfoldOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  if (x.shape.size() != 4)
    return "input must have rank 4";
  PatchGeometry g;
  g.N = x.shape[0], g.C = x.shape[1], g.H = x.shape[2], g.W = x.shape[3];
  if (std::string err = patchGeometry(op.getKernel(), op.getStrides(), op.getPadding(), g);
      !err.empty())
    return err;
  int64_t rows = g.C * g.KH * g.KW, L = g.OH * g.OW;
  out = NDArray::zeros({g.N, rows, L});
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t i = 0; i < g.KH; ++i)
        for (int64_t j = 0; j < g.KW; ++j) {
          int64_t row = (c * g.KH + i) * g.KW + j;
          for (int64_t y = 0; y < g.OH; ++y)
            for (int64_t xx = 0; xx < g.OW; ++xx) {
              int64_t iy = y * g.SH + i - g.PH, ix = xx * g.SW + j - g.PW;
              if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W)
                continue; // zero padding
              out.data[(n * rows + row) * L + y * g.OW + xx] =
                  x.data[((n * g.C + c) * g.H + iy) * g.W + ix];
            }
        }
  return "";
}

std::string Interpreter::evalFold(FoldOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  auto type = dyn_cast<RankedTensorType>(op.getResult().getType());
  if (x.shape.size() != 3 || !type || type.getRank() != 4 || !type.hasStaticShape())
    return "expected input [N, C*KH*KW, L] and a static result [N, C, H, W]";
  PatchGeometry g;
  g.N = type.getDimSize(0), g.C = type.getDimSize(1), g.H = type.getDimSize(2),
  g.W = type.getDimSize(3);
  if (std::string err = patchGeometry(op.getKernel(), op.getStrides(), op.getPadding(), g);
      !err.empty())
    return err;
  int64_t rows = g.C * g.KH * g.KW, L = g.OH * g.OW;
  if (x.shape != Dims{g.N, rows, L})
    return "input " + formatShape(x.shape) + " does not match [" + std::to_string(g.N) + ", " +
           std::to_string(rows) + ", " + std::to_string(L) + "]";
  out = NDArray::zeros({g.N, g.C, g.H, g.W});
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t i = 0; i < g.KH; ++i)
        for (int64_t j = 0; j < g.KW; ++j) {
          int64_t row = (c * g.KH + i) * g.KW + j;
          for (int64_t y = 0; y < g.OH; ++y)
            for (int64_t xx = 0; xx < g.OW; ++xx) {
              int64_t iy = y * g.SH + i - g.PH, ix = xx * g.SW + j - g.PW;
              if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W)
                continue;
              out.data[((n * g.C + c) * g.H + iy) * g.W + ix] +=
                  x.data[(n * rows + row) * L + y * g.OW + xx];
            }
        }
  return "";
}

/// Keys' cubic convolution kernel with A = -0.75 (PyTorch's bicubic).
double cubicWeight(double t) {
  const double A = -0.75;
  t = std::fabs(t);
  if (t <= 1)
    return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2)
    return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0.0;
}

/// Taps (index, weight) of one output coordinate `d` along an axis of `in` -> `outSize`.
std::vector<std::pair<int64_t, double>> resizeTaps(const std::string &mode, int64_t d, int64_t in,
                                                   int64_t outSize) {
  double scale = double(in) / double(outSize);
  auto clampIdx = [&](int64_t i) { return std::min(std::max<int64_t>(i, 0), in - 1); };
  std::vector<std::pair<int64_t, double>> taps;
  if (mode == "nearest") {
    taps.push_back({clampIdx(int64_t(std::floor(double(d) * scale))), 1.0});
  } else if (mode == "bilinear") {
    double src = std::max((double(d) + 0.5) * scale - 0.5, 0.0);
    int64_t i0 = int64_t(std::floor(src));
    double f = src - double(i0);
    taps.push_back({clampIdx(i0), 1.0 - f});
    taps.push_back({clampIdx(i0 + 1), f});
  } else { // bicubic
    double src = (double(d) + 0.5) * scale - 0.5;
    int64_t i0 = int64_t(std::floor(src));
    double f = src - double(i0);
    for (int64_t k = -1; k <= 2; ++k)
      taps.push_back({clampIdx(i0 + k), cubicWeight(f - double(k))});
  }
  return taps;
}

std::string Interpreter::evalResize(ResizeOp op, NDArray &out) {
  const NDArray &x = get(op.getInput());
  auto type = dyn_cast<RankedTensorType>(op.getResult().getType());
  std::string mode = op.getMode().str();
  if (mode != "nearest" && mode != "bilinear" && mode != "bicubic")
    return "unknown mode '" + mode + "'";
  if (x.shape.size() != 4 || !type || type.getRank() != 4 || !type.hasStaticShape())
    return "expected input [N, C, H, W] and a static result [N, C, OH, OW]";
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t OH = type.getDimSize(2), OW = type.getDimSize(3);
  if (type.getDimSize(0) != N || type.getDimSize(1) != C || OH < 1 || OW < 1 || H < 1 || W < 1)
    return "result type does not fit the input";
  out = NDArray::zeros({N, C, OH, OW});
  std::vector<std::vector<std::pair<int64_t, double>>> ty(OH), tx(OW);
  for (int64_t y = 0; y < OH; ++y)
    ty[y] = resizeTaps(mode, y, H, OH);
  for (int64_t xx = 0; xx < OW; ++xx)
    tx[xx] = resizeTaps(mode, xx, W, OW);
  int64_t k = 0;
  for (int64_t nc = 0; nc < N * C; ++nc)
    for (int64_t y = 0; y < OH; ++y)
      for (int64_t xx = 0; xx < OW; ++xx) {
        double s = 0.0;
        for (auto [iy, wy] : ty[y])
          for (auto [ix, wx] : tx[xx])
            s += wy * wx * x.data[(nc * H + iy) * W + ix];
        out.data[k++] = s;
      }
  return "";
}

std::string Interpreter::evalEinsum(EinsumOp op, NDArray &out) {
  std::string eq;
  for (char c : op.getEquation())
    if (c != ' ')
      eq += c;
  size_t arrow = eq.find("->");
  if (arrow == std::string::npos)
    return "equation '" + eq + "' has no '->'";
  std::vector<std::string> ins;
  std::string lhs = eq.substr(0, arrow), res = eq.substr(arrow + 2);
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    ins.push_back(
        lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (ins.size() != op.getInputs().size())
    return "equation names " + std::to_string(ins.size()) + " operands, got " +
           std::to_string(op.getInputs().size());
  std::map<char, int64_t> size;
  std::vector<const NDArray *> arrays;
  for (size_t i = 0; i < ins.size(); ++i) {
    const NDArray &a = get(op.getInputs()[i]);
    arrays.push_back(&a);
    if (a.shape.size() != ins[i].size())
      return "operand #" + std::to_string(i) + " " + formatShape(a.shape) +
             " does not have the rank of '" + ins[i] + "'";
    for (size_t d = 0; d < ins[i].size(); ++d) {
      char c = ins[i][d];
      if (c < 'a' || c > 'z' || ins[i].find(c) != d)
        return "bad or repeated axis letter in '" + ins[i] + "'";
      auto [it, fresh] = size.insert({c, a.shape[d]});
      if (!fresh && it->second != a.shape[d])
        return std::string("axis '") + c + "' has mismatched sizes";
    }
  }
  // Loop letters: result letters first, then the summed ones.
  std::string letters = res;
  for (size_t r = 0; r < res.size(); ++r)
    if (!size.count(res[r]) || res.find(res[r]) != r)
      return std::string("result axis '") + res[r] + "' is unknown or repeated";
  for (auto &[c, n] : size)
    if (res.find(c) == std::string::npos)
      letters += c;
  Dims loopShape, resShape;
  for (char c : letters)
    loopShape.push_back(size[c]);
  for (char c : res)
    resShape.push_back(size[c]);
  // Per operand, the stride of each loop letter (0 when the operand lacks it).
  std::vector<Dims> strides(ins.size(), Dims(letters.size(), 0));
  for (size_t i = 0; i < ins.size(); ++i) {
    Dims s = stridesOf(arrays[i]->shape);
    for (size_t d = 0; d < ins[i].size(); ++d)
      strides[i][letters.find(ins[i][d])] = s[d];
  }
  Dims resStrides = stridesOf(resShape);
  out = NDArray::zeros(resShape);
  forEachIndex(loopShape, [&](const Dims &idx) {
    double p = 1.0;
    for (size_t i = 0; i < ins.size(); ++i) {
      int64_t off = 0;
      for (size_t l = 0; l < letters.size(); ++l)
        off += idx[l] * strides[i][l];
      p *= arrays[i]->data[off];
    }
    int64_t o = 0;
    for (size_t r = 0; r < res.size(); ++r)
      o += idx[r] * resStrides[r];
    out.data[o] += p;
  });
  return "";
}

std::string Interpreter::evalAttention(AttentionOp op, NDArray &out) {
  if (op.getNumResults() != 1)
    return "only the tensor form (one result) is supported";
  const NDArray &q = get(op.getQ()), &k = get(op.getK()), &v = get(op.getV());
  const NDArray &init = get(op.getInit());
  size_t rank = q.shape.size();
  if (rank < 2 || k.shape.size() != rank || v.shape.size() != rank || init.shape.size() != rank)
    return "q, k, v and init must have the same rank >= 2";
  Dims batch(q.shape.begin(), q.shape.end() - 2);
  int64_t M = q.shape[rank - 2], D = q.shape[rank - 1];
  int64_t N = k.shape[rank - 2], E = v.shape[rank - 1];
  auto withTail = [&](int64_t a, int64_t b) {
    Dims d = batch;
    d.push_back(a);
    d.push_back(b);
    return d;
  };
  if (k.shape != withTail(N, D) || v.shape != withTail(N, E) || init.shape != withTail(M, E))
    return "shapes q " + formatShape(q.shape) + ", k " + formatShape(k.shape) + ", v " +
           formatShape(v.shape) + ", init " + formatShape(init.shape) + " do not fit";
  Dims scoreShape = withTail(M, N);
  std::vector<const NDArray *> biases;
  for (Value b : op.getBiases()) {
    const NDArray &a = get(b);
    std::optional<Dims> bc = broadcast(a.shape, scoreShape);
    if (a.shape.size() > scoreShape.size() || !bc || *bc != scoreShape)
      return "bias " + formatShape(a.shape) + " does not broadcast to the scores " +
             formatShape(scoreShape);
    biases.push_back(&a);
  }
  double scale = op.getScale().convertToDouble();
  bool causal = op.getCausal();
  int64_t B = product(batch);
  out = NDArray::zeros(init.shape);
  std::vector<double> s(N);
  Dims idx(scoreShape.size(), 0);
  for (int64_t b = 0; b < B; ++b) {
    // Multi-index of the batch b (row-major).
    int64_t rem = b;
    for (int64_t d = int64_t(batch.size()) - 1; d >= 0; --d) {
      idx[d] = rem % batch[d];
      rem /= batch[d];
    }
    for (int64_t i = 0; i < M; ++i) {
      double mx = -std::numeric_limits<double>::infinity();
      int64_t keys = causal ? std::min(i + 1, N) : N;
      for (int64_t j = 0; j < keys; ++j) {
        double dot = 0.0;
        for (int64_t d = 0; d < D; ++d)
          dot += q.data[(b * M + i) * D + d] * k.data[(b * N + j) * D + d];
        double sc = scale * dot;
        idx[rank - 2] = i;
        idx[rank - 1] = j;
        for (const NDArray *bias : biases)
          sc += bias->data[broadcastOffset(idx, bias->shape)];
        s[j] = sc;
        mx = std::max(mx, sc);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < keys; ++j) {
        s[j] = std::exp(s[j] - mx);
        sum += s[j];
      }
      for (int64_t e = 0; e < E; ++e) {
        double acc = 0.0;
        for (int64_t j = 0; j < keys; ++j)
          acc += s[j] * v.data[(b * N + j) * E + e];
        out.data[(b * M + i) * E + e] = acc / sum;
      }
    }
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
