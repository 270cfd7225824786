// Lowers the long row reductions of the normalizations, softmax and pooling to block-level
// GPU reductions: one block per output element (strided over the grid), its threads reading
// the reduced elements side by side (the innermost reduced dimension is the input's
// contiguous one, so neighbouring threads read neighbouring elements), each folding a strided share
// into a register, then a tree in shared memory. tessera-gpu-loops would instead give each output
// element one thread that walks the whole row alone, reading memory a row's length apart from its
// neighbours.
//
// Only reductions that are `out = combine(f(inputs), out)` with an associative, commutative
// combine (add, mul, max, min) qualify, with a single input indexed by the reduced
// dimensions (contractions and convolutions stay with the per-output loops, where
// neighbouring threads share their operands). Like tessera-gpu-attention, the kernel keeps
// nothing but block-uniform values across its barriers, so the emulator can run it.
#include "tessera/codegen/Passes.h"

#include "GpuKernelBuilders.h"

#include "tessera/passes/PassReport.h"

#include "mlir/IR/IRMapping.h"

#include <limits>

namespace tessera {
#define GEN_PASS_DEF_GPUBLOCKREDUCTIONS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// The combining op of output `i` (its payload yields combine(x, out_i) with x independent of
/// out_i), or null.
Operation *combinerOf(linalg::LinalgOp op, unsigned i) {
  Block *block = op.getBlock();
  BlockArgument acc = block->getArgument(op.getNumDpsInputs() + i);
  Value yielded = block->getTerminator()->getOperand(i);
  Operation *c = yielded.getDefiningOp();
  if (!c || c->getBlock() != block ||
      !isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
           arith::MinNumFOp>(c))
    return nullptr;
  if (!acc.hasOneUse() || (c->getOperand(0) != acc && c->getOperand(1) != acc) ||
      c->getOperand(0) == c->getOperand(1))
    return nullptr;
  return c;
}

/// The value combining leaves unchanged.
double identityOf(Operation *combine) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (isa<arith::AddFOp>(combine))
    return 0.0;
  if (isa<arith::MulFOp>(combine))
    return 1.0;
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combine))
    return -inf;
  return inf;
}

struct GpuBlockReductionsPass : tessera::impl::GpuBlockReductionsBase<GpuBlockReductionsPass> {
  using GpuBlockReductionsBase::GpuBlockReductionsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (maxThreads < 32 || maxThreads > 1024 || (maxThreads & (maxThreads - 1)))
      return emitError(UnknownLoc::get(ctx), "max-threads must be a power of two in [32, 1024]");
    if (minSize < 2)
      return emitError(UnknownLoc::get(ctx), "min-size must be at least 2");
    if (maxBlocks < 1)
      return emitError(UnknownLoc::get(ctx), "max-blocks must be at least 1");
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (eligible(op))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      lower(op);
    numLowered += ops.size();
    if (!ops.empty())
      tessera::reportStatistic(getArgument(), "reductions as block reductions", ops.size());
  }

  bool eligible(linalg::LinalgOp op) const {
    if (!isa<linalg::GenericOp>(op) || !op.hasPureBufferSemantics() || op.getNumDpsInits() == 0)
      return false;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    if (ranges.empty() || llvm::any_of(ranges, ShapedType::isDynamic) ||
        iterators.back() != utils::IteratorType::reduction)
      return false;
    int64_t reduced = 1;
    for (auto [n, it] : llvm::zip(ranges, iterators))
      if (it == utils::IteratorType::reduction)
        reduced *= n;
    if (reduced < minSize)
      return false;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      auto type = dyn_cast<MemRefType>(init.get().getType());
      if (!type || !type.getElementType().isF32() ||
          !combinerOf(op, init.getOperandNumber() - op.getNumDpsInputs()))
        return false;
    }
    // One input walks the reduced dimensions; others (a mean, a maximum) are per output.
    unsigned reducedInputs = 0;
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    for (unsigned i = 0; i < op.getNumDpsInputs(); ++i) {
      if (!isa<MemRefType>(op.getDpsInputs()[i].getType()))
        continue;
      bool usesReduced = false;
      for (unsigned d = 0; d < ranges.size(); ++d)
        usesReduced |= iterators[d] == utils::IteratorType::reduction && maps[i].isFunctionOfDim(d);
      if (!usesReduced)
        continue;
      ++reducedInputs;
      // Neighbouring threads take neighbouring reduced elements: the innermost reduced
      // dimension must be the input's contiguous one.
      auto type = cast<MemRefType>(op.getDpsInputs()[i].getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (type.getRank() == 0 || failed(getStridesAndOffset(type, strides, offset)) ||
          strides.back() != 1 ||
          maps[i].getResults().back() != getAffineDimExpr(ranges.size() - 1, op.getContext()))
        return false;
    }
    return reducedInputs == 1;
  }

  /// A fill of output `i`'s buffer right before `op` (nothing in between): its value starts
  /// the reduction instead and the fill goes.
  static Value takeFill(linalg::LinalgOp op, Value init) {
    auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
    if (!fill || fill.getDpsInits()[0] != init || llvm::is_contained(op.getDpsInputs(), init))
      return Value();
    Value v = fill.getInputs()[0];
    fill->erase();
    return v;
  }

  void lower(linalg::LinalgOp op) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned numLoops = ranges.size(), numInputs = op.getNumDpsInputs();
    unsigned numOutputs = op.getNumDpsInits();
    SmallVector<unsigned> parallel, reduction;
    for (unsigned d = 0; d < numLoops; ++d)
      (iterators[d] == utils::IteratorType::parallel ? parallel : reduction).push_back(d);
    int64_t outputsCount = 1, reduced = 1;
    for (unsigned d : parallel)
      outputsCount *= ranges[d];
    for (unsigned d : reduction)
      reduced *= ranges[d];
    // Enough threads that each folds a few elements before the tree.
    int64_t threads = 32;
    while (threads < maxThreads && threads * 4 < reduced)
      threads *= 2;
    int64_t grid = std::clamp<int64_t>(outputsCount, 1, maxBlocks);

    SmallVector<Value> starts;
    SmallVector<Value> inits(op.getDpsInits());
    SmallVector<Operation *> combiners;
    for (unsigned i = 0; i < numOutputs; ++i)
      combiners.push_back(combinerOf(op, i));
    OpBuilder b(op);
    for (unsigned i = 0; i < numOutputs; ++i)
      starts.push_back(takeFill(op, inits[i]));
    b.setInsertionPoint(op);

    Type f32 = b.getF32Type();
    auto cidx = [&](OpBuilder &ob, int64_t v) {
      return Value(ob.create<arith::ConstantIndexOp>(loc, v));
    };
    auto sharedType =
        MemRefType::get({int64_t(numOutputs), threads}, f32, MemRefLayoutAttrInterface{},
                        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));

    // Clones `combine` on (a, b).
    auto combineWith = [&](OpBuilder &ob, Operation *combine, Value x, Value y) {
      IRMapping map;
      map.map(combine->getOperand(0), x);
      map.map(combine->getOperand(1), y);
      return ob.clone(*combine, map)->getResult(0);
    };

    tessera::codegen::createWorkLoopLaunch(
        b, loc, grid, threads, outputsCount, TypeRange{sharedType}, TypeRange{},
        [&](OpBuilder &rb, Value item, gpu::LaunchOp launch) {
          Value partials = launch.getWorkgroupAttributions()[0];
          Value tid = launch.getThreadIds().x;
          // The output element, innermost parallel dimension fastest.
          SmallVector<Value> ivs(numLoops, Value());
          tessera::codegen::delinearize(rb, loc, item, parallel, ranges, ivs);
          // Each thread folds elements tid, tid + threads, ... of the flattened reduction.
          SmallVector<Value> identities;
          for (Operation *c : combiners)
            identities.push_back(
                rb.create<arith::ConstantOp>(loc, rb.getF32FloatAttr(float(identityOf(c)))));
          auto fold = rb.create<scf::ForOp>(
              loc, tid, cidx(rb, reduced), cidx(rb, threads), identities,
              [&](OpBuilder &fb, Location, Value flat, ValueRange accs) {
                SmallVector<Value> all = ivs;
                tessera::codegen::delinearize(fb, loc, flat, reduction, ranges, all);
                Block *payload = op.getBlock();
                IRMapping map;
                for (unsigned i = 0; i < numInputs; ++i) {
                  Value in = op.getDpsInputs()[i];
                  map.map(payload->getArgument(i),
                          tessera::codegen::loadAt(fb, loc, in, maps[i], all));
                }
                for (unsigned i = 0; i < numOutputs; ++i)
                  map.map(payload->getArgument(numInputs + i), accs[i]);
                for (Operation &inner : payload->without_terminator()) {
                  if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
                    map.map(index.getResult(), all[index.getDim()]);
                    continue;
                  }
                  fb.clone(inner, map);
                }
                SmallVector<Value> next;
                for (Value v : payload->getTerminator()->getOperands())
                  next.push_back(map.lookupOrDefault(v));
                fb.create<scf::YieldOp>(loc, next);
              });
          for (unsigned i = 0; i < numOutputs; ++i)
            rb.create<memref::StoreOp>(loc, fold.getResult(i), partials,
                                       ValueRange{cidx(rb, i), tid});
          // The tree: halves of the block fold into the lower half until one value is left.
          for (int64_t half = threads / 2; half >= 1; half /= 2) {
            rb.create<gpu::BarrierOp>(loc);
            Value lower =
                rb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, tid, cidx(rb, half));
            auto step = rb.create<scf::IfOp>(loc, lower, /*withElseRegion=*/false);
            OpBuilder sb = step.getThenBodyBuilder();
            Value other = sb.create<arith::AddIOp>(loc, tid, cidx(sb, half));
            for (unsigned i = 0; i < numOutputs; ++i) {
              Value ci = cidx(sb, i);
              Value x = sb.create<memref::LoadOp>(loc, partials, ValueRange{ci, tid});
              Value y = sb.create<memref::LoadOp>(loc, partials, ValueRange{ci, other});
              sb.create<memref::StoreOp>(loc, combineWith(sb, combiners[i], x, y), partials,
                                         ValueRange{ci, tid});
            }
          }
          rb.create<gpu::BarrierOp>(loc);
          // Thread 0 combines with the output's start value and stores.
          Value first = rb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, tid, cidx(rb, 0));
          auto store = rb.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
          OpBuilder sb = store.getThenBodyBuilder();
          SmallVector<Value> outIvs = ivs;
          for (unsigned d : reduction)
            outIvs[d] = cidx(sb, 0);
          for (unsigned i = 0; i < numOutputs; ++i) {
            Value total =
                sb.create<memref::LoadOp>(loc, partials, ValueRange{cidx(sb, i), cidx(sb, 0)});
            AffineMap outMap = maps[numInputs + i];
            Value start =
                starts[i] ? starts[i] : tessera::codegen::loadAt(sb, loc, inits[i], outMap, outIvs);
            Value result = combineWith(sb, combiners[i], start, total);
            sb.create<memref::StoreOp>(loc, result, inits[i],
                                       tessera::codegen::indicesAt(sb, loc, outMap, outIvs));
          }
          // The next output's partials overwrite these; thread 0 must have read them first.
          rb.create<gpu::BarrierOp>(loc);
        });
    op->erase();
  }
};

} // namespace
