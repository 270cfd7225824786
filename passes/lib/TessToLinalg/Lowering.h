// The tess-to-linalg lowering, one file per op family (Elementwise, Reductions, Contractions,
// DataMovement, Windows), each adding its patterns; the builders they share are here.
#ifndef TESSERA_PASSES_TESSTOLINALG_LOWERING_H
#define TESSERA_PASSES_TESSTOLINALG_LOWERING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace tessera::lowering {

using mlir::AffineMap;
using mlir::ArrayRef;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::Type;
using mlir::Value;
using mlir::ValueRange;

void populateElementwiseLowerings(mlir::RewritePatternSet &patterns);
void populateReductionsLowerings(mlir::RewritePatternSet &patterns);
void populateContractionsLowerings(mlir::RewritePatternSet &patterns);
void populateDataMovementLowerings(mlir::RewritePatternSet &patterns);
void populateWindowsLowerings(mlir::RewritePatternSet &patterns);

using ScalarFn = mlir::function_ref<Value(OpBuilder &, Location, ValueRange)>;

RankedTensorType typeOf(Value v);
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type);
Value floatConst(OpBuilder &b, Location loc, double v);
/// The map from a rank-`rank` iteration space to an operand of shape `shape` that is
/// broadcast numpy-style against `result` (right-aligned; size-1 dimensions read index 0).
AffineMap broadcastMap(mlir::MLIRContext *ctx, ArrayRef<int64_t> shape, ArrayRef<int64_t> result);
/// result = fn(inputs...) elementwise with numpy broadcasting; splat constants become
/// scalars inside the body.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
                  ScalarFn fn);
/// Reduces `input` over `axes` (sorted, distinct) with `combine` from `init`; the result
/// drops the reduced axes.
Value reduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, double init,
                ScalarFn combine);
/// Reinserts the size-1 reduced dimensions, giving `fullType`.
Value keepDims(OpBuilder &b, Location loc, Value reduced, RankedTensorType fullType);
/// Row-major reshape of a contiguous tensor.
Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType type);
/// Scalar conversion between f32, i1, i32 and i64 with the semantics of tess.cast.
Value convertScalar(OpBuilder &b, Location l, Value x, Type to);
/// [N, C, H, W] padded by (p0, p1) on both sides of H and W with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pad, double value);
/// `acc + x * y`, reassociable, for contractions.
Value multiplyAccumulate(OpBuilder &b, Location l, Value acc, Value x, Value y);
/// Combiners of sum (reassociable) and max reductions.
Value addF(OpBuilder &b, Location loc, ValueRange a);
Value maxF(OpBuilder &b, Location loc, ValueRange a);

} // namespace tessera::lowering

#endif // TESSERA_PASSES_TESSTOLINALG_LOWERING_H
