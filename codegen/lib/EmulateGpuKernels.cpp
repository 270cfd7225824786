// Runs the GPU kernels on the CPU, for testing the GPU lowering without a GPU: every
// gpu.func of tessera-outline-gpu-kernels becomes a func.func that loops over its grid's
// blocks and, inside each block, over the block's threads in order, and every dispatch
// function calls its kernels in launch order. The result goes through the CPU target's
// lowering, so the numerics of the kernels are checked against the references while only the
// NVVM lowering and the driver stay untested.
//
// Barriers are honoured by splitting the kernel at them (as MCUDA and POCL do): the ops
// between two barriers run for every thread before the next barrier's ops start. That needs
// kernels whose barriers sit at the top level or in scf.for loops with block-uniform bounds,
// and whose threads keep what crosses a barrier in memory (private and workgroup attributions,
// allocas), not in SSA values; a value that does cross is recomputed after the barrier when
// it is a pure function of ids and constants and refused otherwise. Private memory becomes
// one slice per thread of a block-sized buffer, workgroup memory one buffer per block.
#include "tessera/codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace tessera {
#define GEN_PASS_DEF_EMULATEGPUKERNELS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

bool containsBarrier(Operation *op) {
  bool found = false;
  op->walk([&](gpu::BarrierOp) { found = true; });
  return found;
}

/// The kernel as CPU loops: emits one thread loop per stretch of ops between barriers.
class KernelEmulator {
public:
  KernelEmulator(gpu::GPUFuncOp kernel, int64_t block, int64_t grid)
      : kernel_(kernel), block_(block), grid_(grid), barriers_(containsBarrier(kernel)) {}

  FailureOr<func::FuncOp> emit(OpBuilder &b) {
    Location loc = kernel_.getLoc();
    auto fn = b.create<func::FuncOp>(loc, kernel_.getName(), kernel_.getFunctionType());
    fn.setPrivate();
    for (unsigned i = 0; i < kernel_.getNumArguments(); ++i)
      if (auto attrs = kernel_.getArgAttrDict(i))
        fn.setArgAttrs(i, attrs);
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    zero_ = b.create<arith::ConstantIndexOp>(loc, 0);
    one_ = b.create<arith::ConstantIndexOp>(loc, 1);
    gridValue_ = b.create<arith::ConstantIndexOp>(loc, grid_);
    blockValue_ = b.create<arith::ConstantIndexOp>(loc, block_);
    uniform_.map(kernel_.getArguments(), entry->getArguments());

    if (kernel_.getBody().getBlocks().size() != 1)
      return kernel_.emitError("cannot emulate a kernel with more than one block");
    Block &body = kernel_.getBody().front();
    // Memory: workgroup buffers are shared by a block's threads and blocks run one after
    // another, so one buffer serves them all; per-thread scratch is one slice per thread
    // when threads interleave at barriers, else one buffer too.
    for (BlockArgument a : kernel_.getWorkgroupAttributions())
      uniform_.map(a, b.create<memref::AllocaOp>(loc, plainType(a.getType())));
    SmallVector<Value> scratch(kernel_.getPrivateAttributions());
    for (Operation &op : body.without_terminator())
      if (isa<memref::AllocaOp>(op) && op.getNumOperands() == 0)
        scratch.push_back(op.getResult(0));
    for (Value s : scratch) {
      auto type = plainType(s.getType());
      if (!barriers_) {
        uniform_.map(s, b.create<memref::AllocaOp>(loc, type));
        continue;
      }
      SmallVector<int64_t> shape{block_};
      llvm::append_range(shape, type.getShape());
      perThread_.push_back(
          {s, b.create<memref::AllocaOp>(loc, MemRefType::get(shape, type.getElementType()))});
    }

    auto blocks = b.create<scf::ForOp>(loc, zero_, gridValue_, one_);
    blockId_ = blocks.getInductionVar();
    b.setInsertionPointToStart(blocks.getBody());
    if (failed(emitLevel(body, b)))
      return failure();
    b.setInsertionPointToEnd(entry);
    b.create<func::ReturnOp>(loc);

    bool nested = false;
    fn.walk([&](Operation *op) {
      nested |= isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(op);
    });
    if (nested)
      return kernel_.emitError("cannot emulate ids read inside nested regions");
    return fn;
  }

private:
  static MemRefType plainType(Type t) {
    auto m = cast<MemRefType>(t);
    return MemRefType::get(m.getShape(), m.getElementType(), m.getLayout());
  }

  /// The ops of `src` at block level: stretches between barriers become thread loops, loops
  /// with barriers inside stay block-level loops.
  LogicalResult emitLevel(Block &src, OpBuilder &b) {
    SmallVector<Operation *> stretch;
    for (Operation &op : src.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        if (failed(flush(stretch, b)))
          return failure();
        continue;
      }
      if (!barriers_ || !containsBarrier(&op)) {
        stretch.push_back(&op);
        continue;
      }
      if (failed(flush(stretch, b)))
        return failure();
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop || loop.getNumResults())
        return op.emitError("cannot emulate a barrier inside this op (only scf.for loops "
                            "without results may hold barriers)");
      SmallVector<Value> bounds;
      for (Value v : {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()}) {
        if (failed(materialize(v, b, uniform_, Value())))
          return failure();
        bounds.push_back(uniform_.lookup(v));
      }
      auto copy = b.create<scf::ForOp>(loop.getLoc(), bounds[0], bounds[1], bounds[2]);
      // What the body recomputes does not dominate the code after the loop.
      IRMapping outer = uniform_;
      uniform_.map(loop.getInductionVar(), copy.getInductionVar());
      OpBuilder inner = OpBuilder::atBlockTerminator(copy.getBody());
      if (failed(emitLevel(*loop.getBody(), inner)))
        return failure();
      uniform_ = std::move(outer);
    }
    return flush(stretch, b);
  }

  /// One thread loop running `stretch` for every thread of the block.
  LogicalResult flush(SmallVector<Operation *> &stretch, OpBuilder &b) {
    if (stretch.empty())
      return success();
    Location loc = stretch.front()->getLoc();
    auto threads = b.create<scf::ForOp>(loc, zero_, blockValue_, one_);
    OpBuilder tb = OpBuilder::atBlockBegin(threads.getBody());
    Value tid = threads.getInductionVar();
    IRMapping map = uniform_;
    for (auto [original, buffer] : perThread_) {
      auto type = plainType(original.getType());
      int64_t rank = type.getRank();
      SmallVector<OpFoldResult> offsets{tid}, sizes{tb.getIndexAttr(1)},
          strides(rank + 1, tb.getIndexAttr(1));
      for (int64_t size : type.getShape()) {
        offsets.push_back(tb.getIndexAttr(0));
        sizes.push_back(tb.getIndexAttr(size));
      }
      auto sliceType = memref::SubViewOp::inferRankReducedResultType(
          type.getShape(), cast<MemRefType>(buffer.getType()), offsets, sizes, strides);
      map.map(original, tb.create<memref::SubViewOp>(loc, cast<MemRefType>(sliceType), buffer,
                                                     offsets, sizes, strides));
    }
    for (Operation *op : stretch) {
      if (isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(op) ||
          (isa<memref::AllocaOp>(op) && op->getNumOperands() == 0 &&
           op->getBlock() == &kernel_.getBody().front()))
        continue; // ids are materialized where used; scratch was allocated up front
      SmallVector<Value> outside;
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          if (!op->isAncestor(v.getParentRegion()->getParentOp()))
            outside.push_back(v);
      });
      for (Value v : outside)
        if (failed(materialize(v, tb, map, tid)))
          return failure();
      tb.clone(*op, map);
    }
    stretch.clear();
    return success();
  }

  /// Makes `v` available in `map` at `b`: ids become the loop indices and sizes, and values
  /// from an earlier stretch are recomputed when they are pure. `tid` is null at block level.
  LogicalResult materialize(Value v, OpBuilder &b, IRMapping &map, Value tid) {
    if (map.contains(v))
      return success();
    Operation *def = v.getDefiningOp();
    auto refuse = [&](const Twine &why) {
      return (def ? def->emitError() : kernel_.emitError()) << "cannot emulate: " << why;
    };
    if (!def)
      return refuse("a block argument crosses a barrier");
    auto dimValue = [&](gpu::Dimension dim, Value x) {
      return dim == gpu::Dimension::x ? x : zero_;
    };
    if (auto t = dyn_cast<gpu::ThreadIdOp>(def)) {
      if (!tid && t.getDimension() == gpu::Dimension::x)
        return refuse("a loop holding a barrier has bounds that depend on the thread");
      map.map(v, dimValue(t.getDimension(), tid));
      return success();
    }
    if (auto id = dyn_cast<gpu::BlockIdOp>(def)) {
      map.map(v, dimValue(id.getDimension(), blockId_));
      return success();
    }
    if (auto dim = dyn_cast<gpu::BlockDimOp>(def)) {
      map.map(v, dim.getDimension() == gpu::Dimension::x ? blockValue_ : one_);
      return success();
    }
    if (auto dim = dyn_cast<gpu::GridDimOp>(def)) {
      map.map(v, dim.getDimension() == gpu::Dimension::x ? gridValue_ : one_);
      return success();
    }
    if (def->getNumRegions() || !isMemoryEffectFree(def))
      return refuse("a value read from memory crosses a barrier; keep it in memory");
    for (Value operand : def->getOperands())
      if (failed(materialize(operand, b, map, tid)))
        return failure();
    b.clone(*def, map);
    return success();
  }

  gpu::GPUFuncOp kernel_;
  int64_t block_, grid_;
  bool barriers_;
  Value zero_, one_, gridValue_, blockValue_, blockId_;
  IRMapping uniform_;
  SmallVector<std::pair<Value, Value>> perThread_;
};

struct EmulateGpuKernelsPass : tessera::impl::EmulateGpuKernelsBase<EmulateGpuKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    OpBuilder b(ctx);
    for (gpu::GPUModuleOp gm : gpuModules) {
      for (auto kernel : llvm::make_early_inc_range(gm.getOps<gpu::GPUFuncOp>())) {
        auto blockAttr = kernel->getAttrOfType<IntegerAttr>(tessera::kGpuBlockAttr);
        auto gridAttr = kernel->getAttrOfType<IntegerAttr>(tessera::kGpuGridAttr);
        if (!blockAttr || !gridAttr) {
          kernel.emitError("kernel without tess.gpu_block / tess.gpu_grid");
          return signalPassFailure();
        }
        b.setInsertionPointToEnd(module.getBody());
        KernelEmulator emulator(kernel, blockAttr.getInt(), gridAttr.getInt());
        if (failed(emulator.emit(b)))
          return signalPassFailure();
      }
      gm.erase();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());

    // Dispatch functions call their kernels.
    for (auto fn : module.getOps<func::FuncOp>()) {
      auto names = fn->getAttrOfType<ArrayAttr>(tessera::kGpuKernelsAttr);
      if (!names)
        continue;
      Block &entry = fn.getBody().front();
      b.setInsertionPoint(entry.getTerminator());
      for (Attribute a : names) {
        auto callee = cast<FlatSymbolRefAttr>(a);
        b.create<func::CallOp>(fn.getLoc(), callee, TypeRange{}, entry.getArguments());
      }
      fn->removeAttr(tessera::kGpuKernelsAttr);
      fn.setPublic();
    }
  }
};

} // namespace
