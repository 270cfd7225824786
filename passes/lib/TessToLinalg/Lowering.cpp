// Builders shared by the tess-to-linalg patterns: empty and filled tensors, broadcast maps,
// elementwise and reduction generics, row-major reshapes, scalar conversions, padding.
#include "Lowering.h"

#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"

#include <array>
#include <cmath>
#include <limits>
#include <variant>

using namespace mlir;

namespace tessera::lowering {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
}

Value floatConst(OpBuilder &b, Location loc, double v) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v)));
}

/// The map from a rank-`rank` iteration space to an operand of shape `shape` that is
/// broadcast numpy-style against `result` (right-aligned; size-1 dimensions read index 0).
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape, ArrayRef<int64_t> result) {
  unsigned rank = result.size();
  SmallVector<AffineExpr> exprs;
  unsigned lead = rank - shape.size();
  for (unsigned j = 0; j < shape.size(); ++j) {
    unsigned i = j + lead;
    if (shape[j] == 1 && result[i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// result = fn(inputs...) elementwise with numpy broadcasting. Splat-constant inputs are
/// materialized as scalars inside the body.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
                  ScalarFn fn) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<Value> tensorInputs;
  SmallVector<AffineMap> maps;
  // Per input: index into the block arguments, or the splat attribute.
  SmallVector<std::variant<unsigned, Attribute>> sources;
  for (Value in : inputs) {
    // Splat constants are folded into the generic's body instead of becoming an input.
    if (std::optional<Attribute> s = tess::getSplatConstant(in)) {
      sources.push_back(*s);
      continue;
    }
    sources.push_back(unsigned(tensorInputs.size()));
    tensorInputs.push_back(in);
    maps.push_back(broadcastMap(ctx, typeOf(in).getShape(), shape));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), ctx));
  SmallVector<utils::IteratorType> iterators(shape.size(), utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, tensorInputs, ValueRange{emptyTensor(b, loc, resultType)}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> operands;
        for (auto &s : sources) {
          if (auto *idx = std::get_if<unsigned>(&s))
            operands.push_back(args[*idx]);
          else
            operands.push_back(
                nb.create<arith::ConstantOp>(nloc, cast<TypedAttr>(std::get<Attribute>(s))));
        }
        nb.create<linalg::YieldOp>(nloc, fn(nb, nloc, operands));
      });
  return generic.getResult(0);
}

/// Reduces `input` over `axes` (sorted, distinct) with `combine`, starting from `init`.
/// The result drops the reduced axes.
Value reduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, double init,
                ScalarFn combine) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = typeOf(input).getShape();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < (int64_t)shape.size(); ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(shape[i]);
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  auto outType = RankedTensorType::get(outShape, b.getF32Type());
  Value filled =
      b.create<linalg::FillOp>(loc, floatConst(b, loc, init), emptyTensor(b, loc, outType))
          .getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(shape.size(), ctx),
                                 AffineMap::get(shape.size(), 0, outExprs, ctx)};
  auto generic = b.create<linalg::GenericOp>(
      loc, outType, ValueRange{input}, ValueRange{filled}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        nb.create<linalg::YieldOp>(nloc, combine(nb, nloc, {args[0], args[1]}));
      });
  return generic.getResult(0);
}

/// Reinserts size-1 dimensions at `axes` (sorted) into a reduced tensor of rank r - |axes|,
/// giving `fullType`.
Value keepDims(OpBuilder &b, Location loc, Value reduced, RankedTensorType fullType) {
  return reshapeTo(b, loc, reduced, fullType);
}

/// Row-major reshape of a contiguous tensor: collapse to 1-D, then expand.
/// The reassociation grouping every dimension of a rank-`rank` tensor into one (none for
/// rank 0, which reshapes to or from all-ones shapes).
SmallVector<ReassociationIndices> groupAll(int64_t rank) {
  if (rank == 0)
    return {};
  ReassociationIndices all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  return {all};
}

Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType type) {
  auto src = typeOf(input);
  if (src == type)
    return input;
  Value flat = input;
  if (src.getRank() != 1) {
    auto flatType = RankedTensorType::get({src.getNumElements()}, src.getElementType());
    if (src.getRank() == 0) // rank 0 -> [1]
      flat = b.create<tensor::ExpandShapeOp>(loc, flatType, input, groupAll(0));
    else
      flat = b.create<tensor::CollapseShapeOp>(loc, flatType, input, groupAll(src.getRank()));
  }
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(loc, type, flat, groupAll(0));
  return b.create<tensor::ExpandShapeOp>(loc, type, flat, groupAll(type.getRank()));
}

/// Scalar conversion between f32, i1, i32 and i64 with the semantics of tess.cast.
Value convertScalar(OpBuilder &b, Location l, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (isa<FloatType>(from) && isa<FloatType>(to))
    return b.create<arith::TruncFOp>(l, to, x);
  if (isa<FloatType>(from)) {
    if (to.isInteger(1))
      return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNE, x,
                                     b.create<arith::ConstantOp>(l, b.getZeroAttr(from)));
    return b.create<arith::FPToSIOp>(l, to, x);
  }
  if (isa<FloatType>(to))
    return from.isInteger(1) ? Value(b.create<arith::UIToFPOp>(l, to, x))
                             : Value(b.create<arith::SIToFPOp>(l, to, x));
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (to.isInteger(1))
    return b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ne, x,
                                   b.create<arith::ConstantOp>(l, b.getZeroAttr(from)));
  if (fw < tw)
    return from.isInteger(1) ? Value(b.create<arith::ExtUIOp>(l, to, x))
                             : Value(b.create<arith::ExtSIOp>(l, to, x));
  return b.create<arith::TruncIOp>(l, to, x);
}

/// [N, C, H, W] padded by (p0, p1) on both sides of H and W with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pad, double value) {
  if (pad[0] == 0 && pad[1] == 0)
    return x;
  ArrayRef<int64_t> s = typeOf(x).getShape();
  auto type = RankedTensorType::get({s[0], s[1], s[2] + 2 * pad[0], s[3] + 2 * pad[1]},
                                    typeOf(x).getElementType());
  Value filled = b.create<linalg::FillOp>(loc, floatConst(b, loc, value), emptyTensor(b, loc, type))
                     .getResult(0);
  SmallVector<int64_t> offsets = {0, 0, pad[0], pad[1]}, strides(4, 1);
  return b.create<tensor::InsertSliceOp>(loc, x, filled, ValueRange{}, ValueRange{}, ValueRange{},
                                         offsets, s, strides);
}

/// Accumulation `acc + a * b` of a contraction. Reassociation is allowed so that LLVM may keep
/// several partial sums in vector registers; the result stays within float rounding of the
/// sequential sum.
Value multiplyAccumulate(OpBuilder &b, Location l, Value acc, Value x, Value y) {
  auto flags = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::reassoc |
                                                                 arith::FastMathFlags::contract);
  Value p = b.create<arith::MulFOp>(l, x, y, flags);
  return b.create<arith::AddFOp>(l, acc, p, flags);
}

/// The combiner of sum reductions; reassociation lets LLVM vectorize the reduction loop.
Value addF(OpBuilder &b, Location loc, ValueRange a) {
  auto flags = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::reassoc);
  return b.create<arith::AddFOp>(loc, a[0], a[1], flags);
}
Value maxF(OpBuilder &b, Location loc, ValueRange a) {
  return b.create<arith::MaximumFOp>(loc, a[0], a[1]);
}

} // namespace tessera::lowering
