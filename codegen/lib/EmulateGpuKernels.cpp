// Runs the GPU kernels on the CPU, for testing the GPU lowering without a GPU: every
// gpu.func of tessera-outline-gpu-kernels becomes a func.func that loops over its grid's
// blocks and each block's threads in order, with the thread and block ids as the loop
// indices, and every dispatch function calls its kernels in launch order. The result goes
// through the CPU target's lowering, so the numerics of the kernels (the grid-stride loops,
// the register accumulators, the one-thread nests) are checked against the references while
// only the NVVM lowering and the driver stay untested. Kernels here have no barriers or
// shared memory, so running threads one after another is a valid schedule.
#include "tessera/codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

namespace tessera {
#define GEN_PASS_DEF_EMULATEGPUKERNELS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

struct EmulateGpuKernelsPass : tessera::impl::EmulateGpuKernelsBase<EmulateGpuKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    OpBuilder b(ctx);
    for (gpu::GPUModuleOp gm : gpuModules) {
      for (auto kernel : llvm::make_early_inc_range(gm.getOps<gpu::GPUFuncOp>())) {
        if (kernel.getNumWorkgroupAttributions() ||
            kernel.getNumPrivateAttributions()) {
          kernel.emitError("cannot emulate a kernel with memory attributions");
          return signalPassFailure();
        }
        bool barrier = false;
        kernel.walk([&](gpu::BarrierOp) { barrier = true; });
        if (barrier) {
          kernel.emitError("cannot emulate a kernel with barriers");
          return signalPassFailure();
        }
        auto blockAttr = kernel->getAttrOfType<IntegerAttr>(tessera::kGpuBlockAttr);
        auto gridAttr = kernel->getAttrOfType<IntegerAttr>(tessera::kGpuGridAttr);
        if (!blockAttr || !gridAttr) {
          kernel.emitError("kernel without tess.gpu_block / tess.gpu_grid");
          return signalPassFailure();
        }
        b.setInsertionPointToEnd(module.getBody());
        auto fn = b.create<func::FuncOp>(kernel.getLoc(), kernel.getName(),
                                         kernel.getFunctionType());
        fn.setPrivate();
        for (unsigned i = 0; i < kernel.getNumArguments(); ++i)
          if (auto attrs = kernel.getArgAttrDict(i))
            fn.setArgAttrs(i, attrs);
        Block *entry = fn.addEntryBlock();
        b.setInsertionPointToStart(entry);
        Location loc = kernel.getLoc();
        Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
        Value one = b.create<arith::ConstantIndexOp>(loc, 1);
        Value grid = b.create<arith::ConstantIndexOp>(loc, gridAttr.getInt());
        Value block = b.create<arith::ConstantIndexOp>(loc, blockAttr.getInt());
        auto blocks = b.create<scf::ForOp>(loc, zero, grid, one);
        b.setInsertionPointToStart(blocks.getBody());
        auto threads = b.create<scf::ForOp>(loc, zero, block, one);
        b.setInsertionPointToStart(threads.getBody());
        IRMapping map;
        map.map(kernel.getArguments(), entry->getArguments());
        Value bid = blocks.getInductionVar(), tid = threads.getInductionVar();
        // Per-thread scratch: threads run one after another, so one copy at the function's
        // entry serves them all (an alloca inside the loops would grow the stack per thread).
        for (Operation &op : kernel.getBody().front().without_terminator())
          if (isa<memref::AllocaOp>(op) && op.getNumOperands() == 0) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(blocks);
            b.clone(op, map);
          }
        Block &body = kernel.getBody().front();
        if (kernel.getBody().getBlocks().size() != 1) {
          kernel.emitError("cannot emulate a kernel with more than one block");
          return signalPassFailure();
        }
        for (Operation &op : body.without_terminator()) {
          if (auto t = dyn_cast<gpu::ThreadIdOp>(op)) {
            map.map(t.getResult(), t.getDimension() == gpu::Dimension::x ? tid : zero);
          } else if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
            map.map(id.getResult(), id.getDimension() == gpu::Dimension::x ? bid : zero);
          } else if (auto d = dyn_cast<gpu::BlockDimOp>(op)) {
            map.map(d.getResult(), d.getDimension() == gpu::Dimension::x ? block : one);
          } else if (auto g = dyn_cast<gpu::GridDimOp>(op)) {
            map.map(g.getResult(), g.getDimension() == gpu::Dimension::x ? grid : one);
          } else if (isa<memref::AllocaOp>(op) && op.getNumOperands() == 0) {
            continue; // hoisted above
          } else {
            b.clone(op, map);
          }
        }
        bool nested = false;
        fn.walk([&](Operation *op) {
          nested |= isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(op);
        });
        if (nested) {
          kernel.emitError("cannot emulate ids read inside nested regions");
          return signalPassFailure();
        }
        b.setInsertionPointToEnd(entry);
        b.create<func::ReturnOp>(loc);
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
