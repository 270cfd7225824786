// Turns each dispatch function into GPU kernels: one gpu.func per top-level loop nest (a
// dispatch's loop nests may depend on each other, and kernels launched in order on one stream
// are the grid-wide barrier between them), with the dispatch's bindings as its only parameters.
// The iterations of a nest's outermost scf.parallel are flattened and strided over all
// threads of the grid, innermost dimension fastest so that neighbouring threads touch
// neighbouring elements; loops inside run sequentially in each thread.
#include "tessera/codegen/Passes.h"

#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace tessera {
#define GEN_PASS_DEF_OUTLINEGPUKERNELS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// A top-level op of a dispatch that only writes memory (a loop nest, a store): each becomes a
/// kernel. Ops with results (views, constants, scalars) are recomputed by every kernel that
/// uses them.
bool isWork(Operation &op) {
  return op.getNumResults() == 0 && !isa<func::ReturnOp, gpu::ReturnOp>(op);
}

/// The top-level ops of `body` that `op` depends on, transitively, in `body` order.
SetVector<Operation *> dependencies(Operation *op, Block &body) {
  SetVector<Operation *> deps;
  SmallVector<Operation *> worklist{op};
  while (!worklist.empty()) {
    Operation *cur = worklist.pop_back_val();
    cur->walk([&](Operation *inner) {
      for (Value v : inner->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def || def->getBlock() != &body || def == op)
          continue;
        if (deps.insert(def))
          worklist.push_back(def);
      }
    });
  }
  SmallVector<Operation *> ordered(deps.begin(), deps.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return SetVector<Operation *>(ordered.begin(), ordered.end());
}

/// Trip counts of a result-free scf.parallel with constant bounds, else nothing.
std::optional<SmallVector<int64_t>> tripCounts(scf::ParallelOp loop) {
  if (loop.getNumResults())
    return std::nullopt;
  SmallVector<int64_t> trips;
  for (unsigned d = 0; d < loop.getNumLoops(); ++d) {
    auto lb = getConstantIntValue(loop.getLowerBound()[d]);
    auto ub = getConstantIntValue(loop.getUpperBound()[d]);
    auto step = getConstantIntValue(loop.getStep()[d]);
    if (!lb || !ub || !step || *step <= 0)
      return std::nullopt;
    trips.push_back(std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step));
  }
  return trips;
}

/// Replaces an scf.parallel (no results) by the equivalent nest of scf.for.
void sequentialize(scf::ParallelOp loop) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> ivs;
  std::function<void(OpBuilder &, unsigned)> build = [&](OpBuilder &b, unsigned d) {
    if (d == loop.getNumLoops()) {
      IRMapping map;
      map.map(loop.getInductionVars(), ivs);
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, map);
      return;
    }
    b.create<scf::ForOp>(loc, loop.getLowerBound()[d], loop.getUpperBound()[d], loop.getStep()[d],
                         ValueRange{}, [&](OpBuilder &b, Location, Value iv, ValueRange) {
                           ivs.push_back(iv);
                           build(b, d + 1);
                           ivs.pop_back();
                           b.create<scf::YieldOp>(loc);
                         });
  };
  build(b, 0);
  loop->erase();
}

struct OutlineGpuKernelsPass : tessera::impl::OutlineGpuKernelsBase<OutlineGpuKernelsPass> {
  using OutlineGpuKernelsBase::OutlineGpuKernelsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32)
      return emitError(UnknownLoc::get(ctx), "block-size must be a multiple of 32 in [32, 1024]");
    if (maxBlocks < 1)
      return emitError(UnknownLoc::get(ctx), "max-blocks must be at least 1");
    return success();
  }

  // Statistics are compiled out of release LLVM builds; these feed --pass-statistics.
  unsigned kernelCount = 0, serialCount = 0;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<func::FuncOp> dispatches;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr(tessera::kDispatchAttr))
        dispatches.push_back(fn);
    if (dispatches.empty())
      return;
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(ctx));
    OpBuilder mb(module.getBodyRegion());
    mb.setInsertionPointToEnd(module.getBody());
    auto gpuModule = mb.create<gpu::GPUModuleOp>(module.getLoc(), kernelModule);
    SymbolTable kernels(gpuModule);

    for (func::FuncOp fn : dispatches) {
      Block &body = fn.getBody().front();
      SmallVector<Operation *> work;
      for (Operation &op : body)
        if (isWork(op))
          work.push_back(&op);
      SmallVector<Attribute> names;
      for (auto [k, op] : llvm::enumerate(work)) {
        std::string name = (fn.getSymName() + "_k" + Twine(k)).str();
        OpBuilder b(ctx);
        b.setInsertionPoint(gpuModule.getBody()->getTerminator());
        auto kernel = b.create<gpu::GPUFuncOp>(fn.getLoc(), name, fn.getFunctionType());
        kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), UnitAttr::get(ctx));
        // Bindings never alias (tessera-form-dispatches checked the plan) and are aligned.
        for (unsigned i = 0; i < fn.getNumArguments(); ++i)
          if (auto attrs = fn.getArgAttrDict(i))
            kernel.setArgAttrs(i, attrs);
        names.push_back(FlatSymbolRefAttr::get(ctx, kernel.getName()));
        Block &entry = kernel.getBody().front();
        b.setInsertionPointToStart(&entry);
        IRMapping map;
        map.map(body.getArguments(), entry.getArguments());
        for (Operation *dep : dependencies(op, body))
          b.clone(*dep, map);
        b.clone(*op, map);
        b.create<gpu::ReturnOp>(fn.getLoc());
        // The clone of `op`: the only work op in the kernel.
        Operation *nest = nullptr;
        for (Operation &inner : entry)
          if (isWork(inner))
            nest = &inner;
        int64_t block, grid;
        if (auto launch = dyn_cast<gpu::LaunchOp>(nest)) {
          auto shape = inlineLaunch(kernel, launch);
          if (!shape)
            return signalPassFailure();
          std::tie(block, grid) = *shape;
        } else {
          int64_t threads = mapToThreads(kernel, nest);
          block = threads > 1 ? std::min<int64_t>(blockSize, llvm::alignTo(threads, 32)) : 32;
          grid = std::clamp<int64_t>(llvm::divideCeil(threads, block), 1, maxBlocks);
        }
        kernel->setAttr(tessera::kGpuBlockAttr, b.getI64IntegerAttr(block));
        kernel->setAttr(tessera::kGpuGridAttr, b.getI64IntegerAttr(grid));
        ++numKernels;
        ++kernelCount;
      }
      fn->setAttr(tessera::kGpuKernelsAttr, ArrayAttr::get(ctx, names));
      // The host function stays as the record of the dispatch's kernels; its body goes.
      fn.getBody().dropAllReferences();
      fn.getBody().getBlocks().clear();
      fn.setPrivate();
      Block *stub = fn.addEntryBlock();
      OpBuilder(ctx).atBlockEnd(stub).create<func::ReturnOp>(fn.getLoc());
    }
    tessera::reportStatistic(getArgument(), "GPU kernels", kernelCount);
    if (serialCount)
      tessera::reportStatistic(getArgument(), "kernels on one thread", serialCount);
  }

  /// A gpu.launch already is a kernel (tessera-gpu-attention writes them): its body becomes
  /// the kernel's, with its memory attributions; returns (block, grid).
  std::optional<std::pair<int64_t, int64_t>> inlineLaunch(gpu::GPUFuncOp kernel,
                                                          gpu::LaunchOp launch) {
    auto grid = getConstantIntValue(launch.getGridSizeX());
    auto block = getConstantIntValue(launch.getBlockSizeX());
    auto isOne = [](Value v) { return getConstantIntValue(v) == 1; };
    if (!grid || !block || *block < 1 || *block > 1024 || *grid < 1 ||
        !isOne(launch.getGridSizeY()) || !isOne(launch.getGridSizeZ()) ||
        !isOne(launch.getBlockSizeY()) || !isOne(launch.getBlockSizeZ()) ||
        launch.getAsyncToken() || launch.getDynamicSharedMemorySize() ||
        launch.getBody().getBlocks().size() != 1) {
      launch.emitError("only a one-dimensional launch of constant size with one block is "
                       "outlined");
      return std::nullopt;
    }
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Type index = b.getIndexType();
    IRMapping map;
    auto ids = [&](gpu::KernelDim3 args, auto make) {
      map.map(args.x, make(gpu::Dimension::x));
      map.map(args.y, make(gpu::Dimension::y));
      map.map(args.z, make(gpu::Dimension::z));
    };
    ids(launch.getBlockIds(),
        [&](gpu::Dimension d) { return b.create<gpu::BlockIdOp>(loc, index, d); });
    ids(launch.getThreadIds(),
        [&](gpu::Dimension d) { return b.create<gpu::ThreadIdOp>(loc, index, d); });
    ids(launch.getGridSize(),
        [&](gpu::Dimension d) { return b.create<gpu::GridDimOp>(loc, index, d); });
    ids(launch.getBlockSize(),
        [&](gpu::Dimension d) { return b.create<gpu::BlockDimOp>(loc, index, d); });
    for (BlockArgument a : launch.getWorkgroupAttributions())
      map.map(a, kernel.addWorkgroupAttribution(a.getType(), a.getLoc()));
    for (BlockArgument a : launch.getPrivateAttributions())
      map.map(a, kernel.addPrivateAttribution(a.getType(), a.getLoc()));
    for (Operation &op : launch.getBody().front().without_terminator())
      b.clone(op, map);
    launch->erase();
    return std::make_pair(*block, *grid);
  }

  /// Hands the iterations of `nest` to the grid's threads; returns how many threads have work.
  int64_t mapToThreads(gpu::GPUFuncOp kernel, Operation *nest) {
    OpBuilder b(nest);
    Location loc = nest->getLoc();
    Type index = b.getIndexType();
    Value tid = b.create<gpu::ThreadIdOp>(loc, index, gpu::Dimension::x);
    Value bid = b.create<gpu::BlockIdOp>(loc, index, gpu::Dimension::x);
    Value bdim = b.create<gpu::BlockDimOp>(loc, index, gpu::Dimension::x);
    Value gdim = b.create<gpu::GridDimOp>(loc, index, gpu::Dimension::x);
    Value gid = b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, bid, bdim), tid);
    int64_t threads = 1;
    auto loop = dyn_cast<scf::ParallelOp>(nest);
    std::optional<SmallVector<int64_t>> trips;
    if (loop)
      trips = tripCounts(loop);
    if (trips) {
      int64_t total = 1;
      for (int64_t t : *trips)
        total *= t;
      Value stride = b.create<arith::MulIOp>(loc, gdim, bdim);
      Value ub = b.create<arith::ConstantIndexOp>(loc, total);
      b.create<scf::ForOp>(
          loc, gid, ub, stride, ValueRange{}, [&](OpBuilder &b, Location loc, Value i, ValueRange) {
            // Delinearize, innermost dimension fastest.
            SmallVector<Value> ivs(trips->size());
            Value rest = i;
            for (int d = int(trips->size()) - 1; d >= 0; --d) {
              Value n = b.create<arith::ConstantIndexOp>(loc, (*trips)[d]);
              Value pos = d == 0 ? rest : b.create<arith::RemUIOp>(loc, rest, n);
              if (d > 0)
                rest = b.create<arith::DivUIOp>(loc, rest, n);
              ivs[d] =
                  b.create<arith::AddIOp>(loc, loop.getLowerBound()[d],
                                          b.create<arith::MulIOp>(loc, pos, loop.getStep()[d]));
            }
            IRMapping map;
            map.map(loop.getInductionVars(), ivs);
            for (Operation &op : loop.getBody()->without_terminator())
              b.clone(op, map);
            b.create<scf::YieldOp>(loc);
          });
      loop->erase();
      threads = total;
    } else {
      // Not a loop nest threads can share: the first thread runs it.
      Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
      Value first = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, gid, zero);
      auto guard = b.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
      nest->moveBefore(guard.thenBlock()->getTerminator());
      ++numSerial;
      ++serialCount;
    }
    SmallVector<scf::ParallelOp> inner;
    kernel.walk([&](scf::ParallelOp p) { inner.push_back(p); });
    // Post-order: inner loops first, so every clone is already sequential.
    for (scf::ParallelOp p : inner)
      sequentialize(p);
    return threads;
  }
};

} // namespace
