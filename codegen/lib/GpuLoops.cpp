// Lowers the structured ops of the dispatch functions to the loops a GPU thread runs: one
// scf.parallel iteration per output element (what tessera-map-to-gpu-threads hands to
// threads), the reduction loops inside it sequential with the accumulators in registers.
// linalg-to-parallel-loops would instead read and write the output element in memory at
// every reduction step, and a fill followed by a contraction would be two passes over the
// output with a grid-wide barrier between them.
#include "tessera/codegen/Passes.h"

#include "GpuKernelBuilders.h"
#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/IR/IRMapping.h"

namespace tessera {
#define GEN_PASS_DEF_GPULOOPS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// Element `map`(ivs) of `operand`: a load for a buffer, the value itself for a scalar.
Value readOperand(OpBuilder &b, Location loc, Value operand, AffineMap map, ValueRange ivs) {
  return tessera::codegen::loadAt(b, loc, operand, map, ivs);
}

void writeOperand(OpBuilder &b, Location loc, Value value, Value buffer, AffineMap map,
                  ValueRange ivs) {
  b.create<memref::StoreOp>(loc, value, buffer, tessera::codegen::indicesAt(b, loc, map, ivs));
}

/// Clones the payload of `op` with its block arguments bound to `args` and the loop indices to
/// `ivs`; returns the yielded values.
SmallVector<Value> clonePayload(OpBuilder &b, linalg::LinalgOp op, ValueRange args,
                                ValueRange ivs) {
  Block *block = op.getBlock();
  IRMapping map;
  map.map(block->getArguments(), args);
  for (Operation &inner : block->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  SmallVector<Value> results;
  for (Value v : block->getTerminator()->getOperands())
    results.push_back(map.lookupOrDefault(v));
  return results;
}

/// Fill values for the inits of `op` that the op right before it fills, so the accumulators
/// can start from them and the fill can go. Only a fill of exactly the init value, with nothing
/// that touches memory in between, qualifies.
SmallVector<Value> foldableFills(linalg::LinalgOp op, SmallVector<linalg::FillOp> &fills) {
  SmallVector<Value> init(op.getNumDpsInits(), Value());
  Operation *prev = op->getPrevNode();
  while (prev) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (!fill) {
      if (!isMemoryEffectFree(prev))
        break;
      prev = prev->getPrevNode();
      continue;
    }
    Value target = fill.getDpsInits()[0];
    bool used = false;
    for (OpOperand *in : op.getDpsInputOperands())
      used |= in->get() == target;
    if (used)
      break;
    bool matched = false;
    for (unsigned i = 0; i < op.getNumDpsInits(); ++i)
      if (op.getDpsInits()[i] == target && !init[i]) {
        init[i] = fill.getInputs()[0];
        fills.push_back(fill);
        matched = true;
      }
    if (!matched)
      break;
    prev = prev->getPrevNode();
  }
  return init;
}

/// The parallel dimension whose outputs one thread computes `factor` of (register blocking),
/// or -1. Worth it for a contraction (a reduction over at least 8 elements, two inputs or
/// more) when an input that differs from thread to thread (it depends on the innermost
/// parallel dimension, the one threads run along) does not depend on the blocked dimension:
/// each of its loads then serves `factor` outputs. A convolution blocks its output channels
/// (the image is read once for 4 filters), a matrix product its rows.
int64_t registerBlockedDim(linalg::LinalgOp op, int64_t factor) {
  if (factor < 2 || op.getNumDpsInputs() < 2)
    return -1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<unsigned> parallel;
  int64_t reduced = 1;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (iterators[d] == utils::IteratorType::parallel)
      parallel.push_back(d);
    else
      reduced *= ranges[d];
  }
  if (parallel.size() < 2 || reduced < 8)
    return -1;
  unsigned threadDim = parallel.back();
  // Innermost first: the candidates nearest the threads' dimension keep accesses local.
  for (unsigned d : llvm::reverse(ArrayRef<unsigned>(parallel).drop_back())) {
    if (ranges[d] % factor)
      continue;
    bool sharesVarying = false, someDepend = false;
    for (unsigned i = 0; i < op.getNumDpsInputs(); ++i) {
      if (!isa<MemRefType>(op.getDpsInputs()[i].getType()))
        continue;
      bool depends = maps[i].isFunctionOfDim(d);
      someDepend |= depends;
      sharesVarying |= !depends && maps[i].isFunctionOfDim(threadDim);
    }
    if (sharesVarying && someDepend)
      return d;
  }
  return -1;
}

void lower(linalg::LinalgOp op, ArrayRef<Value> initValues, int64_t factor) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned numLoops = ranges.size();
  SmallVector<unsigned> parallel, reduction;
  for (unsigned d = 0; d < numLoops; ++d)
    (iterators[d] == utils::IteratorType::parallel ? parallel : reduction).push_back(d);
  int64_t blocked = reduction.empty() ? -1 : registerBlockedDim(op, factor);
  int64_t copies = blocked >= 0 ? factor : 1;

  auto constant = [&](int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); };
  SmallVector<Value> lbs, ubs, steps;
  for (unsigned d : parallel) {
    lbs.push_back(constant(0));
    ubs.push_back(constant(int64_t(d) == blocked ? ranges[d] / factor : ranges[d]));
    steps.push_back(constant(1));
  }
  auto body = [&](OpBuilder &b, Location loc, ValueRange parallelIvs) {
    // ivs in loop order; reduction dims are filled in inside the reduction loops.
    SmallVector<Value> ivs(numLoops, Value());
    for (auto [k, d] : llvm::enumerate(parallel))
      ivs[d] = parallelIvs[k];
    unsigned numInputs = op.getNumDpsInputs();
    auto inits = op.getDpsInits();
    auto readInputs = [&](OpBuilder &b, ValueRange ivs) {
      SmallVector<Value> args;
      for (unsigned i = 0; i < numInputs; ++i)
        args.push_back(readOperand(b, loc, op.getDpsInputs()[i], maps[i], ivs));
      return args;
    };
    if (reduction.empty()) {
      SmallVector<Value> args = readInputs(b, ivs);
      Block *block = op.getBlock();
      for (unsigned i = 0; i < inits.size(); ++i) {
        // The payload may ignore the current output value (a copy); then it is not read.
        BlockArgument out = block->getArgument(numInputs + i);
        if (out.use_empty())
          args.push_back(b.create<arith::ConstantOp>(loc, b.getZeroAttr(out.getType())));
        else
          args.push_back(readOperand(b, loc, inits[i], maps[numInputs + i], ivs));
      }
      SmallVector<Value> results = clonePayload(b, op, args, ivs);
      for (unsigned i = 0; i < inits.size(); ++i)
        writeOperand(b, loc, results[i], inits[i], maps[numInputs + i], ivs);
      return;
    }
    // With register blocking, copy r computes the outputs at blocked index base * factor + r;
    // accumulators are kept copy after copy.
    SmallVector<SmallVector<Value>> copyIvs(copies, ivs);
    if (blocked >= 0)
      for (int64_t r = 0; r < copies; ++r)
        copyIvs[r][blocked] = b.create<arith::AddIOp>(
            loc, b.create<arith::MulIOp>(loc, ivs[blocked], constant(factor)), constant(r));
    // Output maps only use parallel dims; reading them needs no reduction index.
    SmallVector<SmallVector<Value>> outputIvs = copyIvs;
    for (auto &o : outputIvs)
      for (unsigned d : reduction)
        o[d] = constant(0);
    SmallVector<Value> accs;
    for (int64_t r = 0; r < copies; ++r)
      for (unsigned i = 0; i < inits.size(); ++i)
        accs.push_back(initValues[i]
                           ? initValues[i]
                           : readOperand(b, loc, inits[i], maps[numInputs + i], outputIvs[r]));
    std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> nest =
        [&](OpBuilder &b, unsigned level, ValueRange accs) -> SmallVector<Value> {
      unsigned d = reduction[level];
      auto loop = b.create<scf::ForOp>(
          loc, constant(0), constant(ranges[d]), constant(1), accs,
          [&](OpBuilder &b, Location loc, Value iv, ValueRange iterAccs) {
            for (auto &c : copyIvs)
              c[d] = iv;
            SmallVector<Value> next;
            if (level + 1 < reduction.size()) {
              next = nest(b, level + 1, iterAccs);
            } else {
              // An input that does not depend on the blocked dimension is read once for all
              // copies.
              SmallVector<Value> shared(numInputs, Value());
              for (unsigned i = 0; i < numInputs; ++i)
                if (blocked < 0 || !maps[i].isFunctionOfDim(blocked))
                  shared[i] = readOperand(b, loc, op.getDpsInputs()[i], maps[i], copyIvs[0]);
              for (int64_t r = 0; r < copies; ++r) {
                SmallVector<Value> args;
                for (unsigned i = 0; i < numInputs; ++i)
                  args.push_back(
                      shared[i] ? shared[i]
                                : readOperand(b, loc, op.getDpsInputs()[i], maps[i], copyIvs[r]));
                ValueRange mine = iterAccs.slice(r * inits.size(), inits.size());
                args.append(mine.begin(), mine.end());
                llvm::append_range(next, clonePayload(b, op, args, copyIvs[r]));
              }
            }
            b.create<scf::YieldOp>(loc, next);
          });
      return SmallVector<Value>(loop.getResults());
    };
    SmallVector<Value> results = nest(b, 0, accs);
    for (int64_t r = 0; r < copies; ++r)
      for (unsigned i = 0; i < inits.size(); ++i)
        writeOperand(b, loc, results[r * inits.size() + i], inits[i], maps[numInputs + i],
                     outputIvs[r]);
  };
  if (parallel.empty()) {
    // A full reduction: one iteration, still an scf.parallel so threads map onto it.
    lbs.push_back(constant(0));
    ubs.push_back(constant(1));
    steps.push_back(constant(1));
    b.create<scf::ParallelOp>(loc, lbs, ubs, steps,
                              [&](OpBuilder &b, Location loc, ValueRange) { body(b, loc, {}); });
  } else {
    b.create<scf::ParallelOp>(loc, lbs, ubs, steps, body);
  }
  op->erase();
}

/// memref.copy as an elementwise loop nest.
void lowerCopy(memref::CopyOp copy) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  auto type = cast<MemRefType>(copy.getSource().getType());
  if (type.getRank() == 0) {
    b.create<memref::StoreOp>(loc, b.create<memref::LoadOp>(loc, copy.getSource()),
                              copy.getTarget());
    copy->erase();
    return;
  }
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t n : type.getShape()) {
    lbs.push_back(b.create<arith::ConstantIndexOp>(loc, 0));
    ubs.push_back(b.create<arith::ConstantIndexOp>(loc, n));
    steps.push_back(b.create<arith::ConstantIndexOp>(loc, 1));
  }
  b.create<scf::ParallelOp>(loc, lbs, ubs, steps, [&](OpBuilder &b, Location loc, ValueRange ivs) {
    b.create<memref::StoreOp>(loc, b.create<memref::LoadOp>(loc, copy.getSource(), ivs),
                              copy.getTarget(), ivs);
  });
  copy->erase();
}

struct GpuLoopsPass : tessera::impl::GpuLoopsBase<GpuLoopsPass> {
  using GpuLoopsBase::GpuLoopsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (registerBlock < 1 || registerBlock > 16)
      return emitError(UnknownLoc::get(ctx), "register-block must be in [1, 16]");
    return success();
  }

  void runOnOperation() override {
    unsigned blockedCount = 0;
    func::FuncOp fn = getOperation();
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (isa<linalg::LinalgOp, memref::CopyOp>(op))
        ops.push_back(op);
    });
    // Fills first: a fill right before a contraction becomes its accumulators' start value.
    DenseMap<Operation *, SmallVector<Value>> initValues;
    llvm::SmallPtrSet<Operation *, 8> folded;
    for (Operation *o : ops) {
      auto op = dyn_cast<linalg::LinalgOp>(o);
      if (!op || !llvm::is_contained(op.getIteratorTypesArray(), utils::IteratorType::reduction))
        continue;
      SmallVector<linalg::FillOp> fills;
      initValues[o] = foldableFills(op, fills);
      for (linalg::FillOp fill : fills)
        folded.insert(fill);
    }
    for (Operation *o : ops) {
      if (folded.contains(o))
        continue;
      if (auto copy = dyn_cast<memref::CopyOp>(o)) {
        auto type = dyn_cast<MemRefType>(copy.getSource().getType());
        if (!type || !type.hasStaticShape()) {
          copy.emitError("GPU loops need statically shaped copies");
          return signalPassFailure();
        }
        lowerCopy(copy);
        continue;
      }
      auto op = cast<linalg::LinalgOp>(o);
      if (!op.hasPureBufferSemantics() || llvm::any_of(op.getStaticLoopRanges(), [](int64_t n) {
            return ShapedType::isDynamic(n);
          })) {
        op.emitError("GPU loops need a statically shaped structured op on buffers");
        return signalPassFailure();
      }
      auto it = initValues.find(o);
      SmallVector<Value> init =
          it != initValues.end() ? it->second : SmallVector<Value>(op.getNumDpsInits(), Value());
      if (registerBlockedDim(op, registerBlock) >= 0 &&
          llvm::is_contained(op.getIteratorTypesArray(), utils::IteratorType::reduction))
        ++blockedCount;
      lower(op, init, registerBlock);
      ++numLowered;
    }
    for (Operation *fill : folded) {
      fill->erase();
      ++numFillsFolded;
    }
    if (!folded.empty())
      tessera::reportStatistic(getArgument(), "fills folded into accumulators", folded.size());
    if (blockedCount)
      tessera::reportStatistic(getArgument(), "contractions register-blocked", blockedCount);
  }
};

} // namespace
