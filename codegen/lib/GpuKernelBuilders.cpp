#include "GpuKernelBuilders.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace tessera::codegen {

SmallVector<Value> indicesAt(OpBuilder &b, Location loc, AffineMap map, ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults())
    indices.push_back(
        b.create<affine::AffineApplyOp>(loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
  return indices;
}

Value loadAt(OpBuilder &b, Location loc, Value operand, AffineMap map, ValueRange ivs) {
  if (!isa<MemRefType>(operand.getType()))
    return operand;
  return b.create<memref::LoadOp>(loc, operand, indicesAt(b, loc, map, ivs));
}

void delinearize(OpBuilder &b, Location loc, Value flat, ArrayRef<unsigned> loops,
                 ArrayRef<int64_t> ranges, SmallVectorImpl<Value> &ivs) {
  Value rest = flat;
  for (int i = int(loops.size()) - 1; i >= 0; --i) {
    Value n = b.create<arith::ConstantIndexOp>(loc, ranges[loops[i]]);
    ivs[loops[i]] = i == 0 ? rest : b.create<arith::RemUIOp>(loc, rest, n);
    if (i > 0)
      rest = b.create<arith::DivUIOp>(loc, rest, n);
  }
}

gpu::LaunchOp createWorkLoopLaunch(OpBuilder &b, Location loc, int64_t grid, int64_t threads,
                                   int64_t work, TypeRange shared, TypeRange priv,
                                   function_ref<void(OpBuilder &, Value, gpu::LaunchOp)> body) {
  auto index = [&](int64_t v) { return Value(b.create<arith::ConstantIndexOp>(loc, v)); };
  Value one = index(1);
  auto launch = b.create<gpu::LaunchOp>(loc, index(grid), one, one, index(threads), one, one,
                                        Value(), Type(), ValueRange{}, shared, priv);
  OpBuilder::InsertionGuard guard(b);
  Block *block = &launch.getBody().front();
  b.setInsertionPointToStart(block);
  b.create<gpu::TerminatorOp>(loc);
  b.setInsertionPointToStart(block);
  // The grid as the kernel sees it, not the constant above: any grid is correct.
  Value gridSize = b.create<gpu::GridDimOp>(loc, gpu::Dimension::x);
  b.create<scf::ForOp>(loc, launch.getBlockIds().x, b.create<arith::ConstantIndexOp>(loc, work),
                       gridSize, ValueRange{},
                       [&](OpBuilder &wb, Location, Value item, ValueRange) {
                         body(wb, item, launch);
                         wb.create<scf::YieldOp>(loc);
                       });
  return launch;
}

} // namespace tessera::codegen
