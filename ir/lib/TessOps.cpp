// Dialect registration, type inference and verifiers of the tess ops. The shape rules
// themselves live in ShapeRules.cpp so that MLIRGen can check them with located diagnostics.
#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace tessera::tess;

#include "tessera/ir/TessDialect.cpp.inc"
#include "tessera/ir/TessInterfaces.cpp.inc"

void TessDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tessera/ir/TessOps.cpp.inc"
      >();
}

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// Turns a shape-rule result into inferReturnTypes' contract.
LogicalResult finish(std::optional<Location> loc, const std::string &error, const Shape &shape,
                     Type elementType, SmallVectorImpl<Type> &inferred) {
  if (!error.empty())
    return emitOptionalError(loc, error);
  inferred.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

LogicalResult inferBinary(std::optional<Location> loc, ValueRange operands,
                          SmallVectorImpl<Type> &inferred) {
  if (operands.size() != 2)
    return emitOptionalError(loc, "expected two operands");
  if (elementOf(operands[0]) != elementOf(operands[1]))
    return emitOptionalError(loc, "operand element types differ");
  Shape shape;
  std::string err = broadcastShapes(shapeOf(operands[0]), shapeOf(operands[1]), shape);
  return finish(loc, err, shape, elementOf(operands[0]), inferred);
}

} // namespace

#define TESS_BINARY_INFER(OP)                                                                      \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc,                   \
                                     ValueRange operands, DictionaryAttr, OpaqueProperties,        \
                                     RegionRange, SmallVectorImpl<Type> &inferred) {               \
    return inferBinary(loc, operands, inferred);                                                   \
  }
TESS_BINARY_INFER(AddOp)
TESS_BINARY_INFER(SubOp)
TESS_BINARY_INFER(MulOp)
TESS_BINARY_INFER(DivOp)
TESS_BINARY_INFER(MaxOp)
TESS_BINARY_INFER(MinOp)
#undef TESS_BINARY_INFER

LogicalResult PowOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr, OpaqueProperties,
                                      RegionRange, SmallVectorImpl<Type> &inferred) {
  if (operands.size() == 2 && !isa<FloatType>(elementOf(operands[0])))
    return emitOptionalError(loc, "pow needs floating-point operands");
  return inferBinary(loc, operands, inferred);
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Shape shape;
  std::string err = matmulShape(shapeOf(adaptor.getLhs()), shapeOf(adaptor.getRhs()),
                                adaptor.getTransposeLhs(), adaptor.getTransposeRhs(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getLhs()), inferred);
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  ArrayRef<int64_t> biasShape;
  if (adaptor.getBias())
    biasShape = shapeOf(adaptor.getBias());
  Shape shape;
  std::string err = linearShape(shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
                                adaptor.getBias() ? &biasShape : nullptr, shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

#define TESS_REDUCE_INFER(OP)                                                                      \
  LogicalResult OP::inferReturnTypes(                                                              \
      MLIRContext *, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,       \
      OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &inferred) {              \
    Adaptor adaptor(operands, attrs, props, regions);                                              \
    Shape shape;                                                                                   \
    std::string err =                                                                              \
        reduceShape(shapeOf(adaptor.getInput()), adaptor.getAxes(), adaptor.getKeepdims(), shape); \
    return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);                       \
  }
TESS_REDUCE_INFER(ReduceSumOp)
TESS_REDUCE_INFER(ReduceMeanOp)
TESS_REDUCE_INFER(ReduceMaxOp)
#undef TESS_REDUCE_INFER

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange regions,
                                            SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  ArrayRef<int64_t> w, b;
  if (adaptor.getWeight())
    w = shapeOf(adaptor.getWeight());
  if (adaptor.getBias())
    b = shapeOf(adaptor.getBias());
  Shape shape;
  std::string err = layerNormShape(shapeOf(adaptor.getInput()), adaptor.getWeight() ? &w : nullptr,
                                   adaptor.getBias() ? &b : nullptr, shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange regions,
                                            SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Shape shape;
  std::string err = transposeShape(shapeOf(adaptor.getInput()), adaptor.getPermutation(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr attrs,
                                        OpaqueProperties props, RegionRange regions,
                                        SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Shape shape;
  std::string err = sliceShape(shapeOf(adaptor.getInput()), adaptor.getStarts(),
                               adaptor.getLimits(), adaptor.getStrides(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  SmallVector<SmallVector<int64_t, 6>> shapes;
  for (Value v : adaptor.getInputs()) {
    if (elementOf(v) != elementOf(adaptor.getInputs().front()))
      return emitOptionalError(loc, "concat inputs have different element types");
    shapes.emplace_back(shapeOf(v));
  }
  Shape shape;
  std::string err = concatShape(shapes, adaptor.getAxis(), shape);
  if (!err.empty())
    return emitOptionalError(loc, err);
  return finish(loc, err, shape, elementOf(adaptor.getInputs().front()), inferred);
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr, OpaqueProperties,
                                          RegionRange, SmallVectorImpl<Type> &inferred) {
  SmallVector<Type> t;
  if (failed(inferBinary(loc, operands.take_front(2), t)))
    return failure();
  inferred.push_back(
      RankedTensorType::get(cast<RankedTensorType>(t[0]).getShape(), IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult CompareOp::verify() {
  StringRef p = getPredicate();
  if (p != "lt" && p != "le" && p != "gt" && p != "ge" && p != "eq" && p != "ne")
    return emitOpError("predicate must be lt, le, gt, ge, eq or ne, got \"") << p << "\"";
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties,
                                         RegionRange, SmallVectorImpl<Type> &inferred) {
  if (operands.size() != 3)
    return emitOptionalError(loc, "expected three operands");
  if (elementOf(operands[1]) != elementOf(operands[2]))
    return emitOptionalError(loc, "select branches have different element types");
  Shape ab, all;
  std::string err = broadcastShapes(shapeOf(operands[1]), shapeOf(operands[2]), ab);
  if (err.empty())
    err = broadcastShapes(shapeOf(operands[0]), ab, all);
  return finish(loc, err, all, elementOf(operands[1]), inferred);
}

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getResult().getType().getShape())
    return emitOpError("cannot change the shape");
  return success();
}

LogicalResult IotaOp::verify() {
  int64_t rank = getResult().getType().getRank(), axis = int64_t(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult BroadcastToOp::verify() {
  if (getInput().getType().getElementType() != getResult().getType().getElementType())
    return emitOpError("cannot change the element type");
  std::string err =
      broadcastToCheck(getInput().getType().getShape(), getResult().getType().getShape());
  if (!err.empty())
    return emitOpError(err);
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Type it = elementOf(adaptor.getIndices());
  if (!it.isInteger(32) && !it.isInteger(64))
    return emitOptionalError(loc, "gather indices must be i32 or i64");
  Shape shape;
  std::string err = gatherShape(shapeOf(adaptor.getInput()), shapeOf(adaptor.getIndices()),
                                adaptor.getAxis(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

#define TESS_ARG_INFER(OP)                                                                         \
  LogicalResult OP::inferReturnTypes(                                                              \
      MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,    \
      OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &inferred) {              \
    Adaptor adaptor(operands, attrs, props, regions);                                              \
    Shape shape;                                                                                   \
    std::string err = argReduceShape(shapeOf(adaptor.getInput()), adaptor.getAxis(),               \
                                     adaptor.getKeepdims(), shape);                                \
    return finish(loc, err, shape, IntegerType::get(ctx, 64), inferred);                           \
  }
TESS_ARG_INFER(ArgMaxOp)
TESS_ARG_INFER(ArgMinOp)
#undef TESS_ARG_INFER

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  ArrayRef<int64_t> biasShape;
  if (adaptor.getBias())
    biasShape = shapeOf(adaptor.getBias());
  Shape shape;
  std::string err =
      conv2dShape(shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
                  adaptor.getBias() ? &biasShape : nullptr, adaptor.getStrides(),
                  adaptor.getPadding(), adaptor.getDilation(), adaptor.getGroups(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange regions,
                                            SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Shape shape;
  std::string err = maxPool2dShape(shapeOf(adaptor.getInput()), adaptor.getKernel(),
                                   adaptor.getStrides(), adaptor.getPadding(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange regions,
                                            SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Shape shape;
  std::string err = avgPool2dShape(shapeOf(adaptor.getInput()), adaptor.getKernel(),
                                   adaptor.getStrides(), adaptor.getPadding(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult UnfoldOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(operands, attrs, props, regions);
  Shape shape;
  std::string err = unfoldShape(shapeOf(adaptor.getInput()), adaptor.getKernel(),
                                adaptor.getStrides(), adaptor.getPadding(), shape);
  return finish(loc, err, shape, elementOf(adaptor.getInput()), inferred);
}

LogicalResult FoldOp::verify() {
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (out.size() != 4)
    return emitOpError("result must be [N, C, H, W]");
  Shape shape;
  std::string err = foldShape(getInput().getType().getShape(), out.drop_front(2), getKernel(),
                              getStrides(), getPadding(), shape);
  if (err.empty() && ArrayRef<int64_t>(shape) != out)
    err = "result shape " + formatShape(out) + " should be " + formatShape(shape);
  if (!err.empty())
    return emitOpError(err);
  return success();
}

LogicalResult ResizeOp::verify() {
  StringRef m = getMode();
  if (m != "nearest" && m != "bilinear" && m != "bicubic")
    return emitOpError("mode must be nearest, bilinear or bicubic, got \"") << m << "\"";
  ArrayRef<int64_t> in = getInput().getType().getShape(), out = getResult().getType().getShape();
  if (in.size() != 4 || out.size() != 4 || in[0] != out[0] || in[1] != out[1])
    return emitOpError("resizes [N, C, H, W] to [N, C, OH, OW]");
  return success();
}

LogicalResult EinsumOp::verify() {
  EinsumSpec spec;
  std::string err = parseEinsum(getEquation().str(), getInputs().size(), spec);
  SmallVector<SmallVector<int64_t, 6>> shapes;
  for (Value v : getInputs())
    shapes.emplace_back(shapeOf(v));
  Shape shape;
  if (err.empty())
    err = einsumShape(spec, shapes, shape);
  if (err.empty() && ArrayRef<int64_t>(shape) != getResult().getType().getShape())
    err = "result shape should be " + formatShape(shape);
  if (!err.empty())
    return emitOpError(err);
  return success();
}

void AttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  // init only gives the result its place: it is overwritten, never read.
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (&operand == &getInitMutable())
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

LogicalResult AttentionOp::verify() {
  auto shaped = [](Value v) { return cast<ShapedType>(v.getType()); };
  ShapedType q = shaped(getQ()), k = shaped(getK()), v = shaped(getV()), init = shaped(getInit());
  for (ShapedType t : {q, k, v, init}) {
    if (!t.hasStaticShape() || !t.getElementType().isF32())
      return emitOpError("operands must be statically shaped f32 tensors or buffers");
    if (t.getRank() != q.getRank() || q.getRank() < 2)
      return emitOpError("q, k, v and init must have the same rank (>= 2)");
  }
  int64_t r = q.getRank();
  ArrayRef<int64_t> batch = q.getShape().drop_back(2);
  for (ShapedType t : {k, v, init})
    if (t.getShape().drop_back(2) != batch)
      return emitOpError("q, k, v and init must have the same batch dimensions");
  int64_t m = q.getShape()[r - 2], d = q.getShape()[r - 1], n = k.getShape()[r - 2];
  if (k.getShape()[r - 1] != d)
    return emitOpError("q and k must have the same feature size");
  if (v.getShape()[r - 2] != n)
    return emitOpError("k and v must have the same number of keys");
  if (init.getShape()[r - 2] != m || init.getShape()[r - 1] != v.getShape()[r - 1])
    return emitOpError("init must be [.., M, E] for q [.., M, D] and v [.., N, E]");
  SmallVector<int64_t> scores(batch.begin(), batch.end());
  scores.push_back(m);
  scores.push_back(n);
  for (Value b : getBiases()) {
    std::string err = broadcastToCheck(shaped(b).getShape(), scores);
    if (!err.empty())
      return emitOpError("bias: ") << err;
  }
  bool tensors = isa<RankedTensorType>(init);
  if (tensors ? getResults().size() != 1 || getResults()[0].getType() != init
              : !getResults().empty())
    return emitOpError("has one result of init's type on tensors and none on buffers");
  return success();
}

LogicalResult GeluOp::verify() {
  StringRef a = getApproximate();
  if (a != "none" && a != "tanh" && a != "sigmoid")
    return emitOpError("approximate must be \"none\", \"tanh\" or \"sigmoid\", got \"")
           << a << "\"";
  return success();
}

double GeluOp::evaluateElement(double x) {
  StringRef a = getApproximate();
  if (a == "tanh") {
    const double c = std::sqrt(2.0 / 3.14159265358979323846);
    return x * 0.5 * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
  }
  if (a == "sigmoid")
    return x * SigmoidOp::evaluate(1.702 * x);
  return x * 0.5 * (1.0 + std::erf(x / std::sqrt(2.0)));
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank(), axis = int64_t(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().getElementType() != getResult().getType().getElementType())
    return emitOpError("cannot change the element type");
  std::string err = reshapeCheck(getInput().getType().getShape(), getResult().getType().getShape());
  if (!err.empty())
    return emitOpError(err);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

std::optional<Attribute> tessera::tess::getSplatConstant(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<Attribute>();
}

#define GET_OP_CLASSES
#include "tessera/ir/TessOps.cpp.inc"
