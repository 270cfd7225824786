// Dispatch formation: each compute op of the bufferized graph becomes a function of its
// buffers, called from the graph. The graph is left as the host program: allocations, views
// and calls, which the module writer turns into the runtime's dispatch list.
#include "tessera/codegen/Passes.h"
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"

#include "Program.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace tessera {
#define GEN_PASS_DEF_FORMDISPATCHES
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// "generic", "fill", "copy", ... for dispatch names.
std::string kindOf(Operation *op) {
  if (isa<memref::CopyOp>(op))
    return "copy";
  if (isa<tessera::tess::AttentionOp>(op))
    return "attention";
  if (auto kernel = op->getAttrOfType<StringAttr>(tessera::kKernelAttr))
    return kernel.str();
  if (isa<scf::ParallelOp>(op))
    return "rows";
  StringRef name = op->getName().stripDialect();
  return name.str();
}

std::optional<int64_t> tripCount(scf::ParallelOp loop) {
  int64_t trips = 1;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto l = getConstantIntValue(lb), u = getConstantIntValue(ub), s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    trips *= (*u - *l + *s - 1) / *s;
  }
  return trips;
}

/// Floating-point operations of one run of `op`: two per multiply-accumulate of contractions
/// (kernels say theirs in tess.flops) and attention; data movement and elementwise work count
/// nothing. For throughput figures only.
uint64_t countFlops(Operation *op) {
  if (auto flops = op->getAttrOfType<IntegerAttr>(tessera::kFlopsAttr))
    return flops.getValue().getZExtValue();
  if (auto attention = dyn_cast<tessera::tess::AttentionOp>(op)) {
    auto q = cast<ShapedType>(attention.getQ().getType());
    auto k = cast<ShapedType>(attention.getK().getType());
    auto v = cast<ShapedType>(attention.getV().getType());
    uint64_t rows = q.getNumElements() / q.getShape().back();
    uint64_t keys = k.getShape()[k.getRank() - 2];
    uint64_t macs = rows * keys * uint64_t(q.getShape().back() + v.getShape().back());
    return attention.getCausal() ? macs : 2 * macs; // causal: about half the keys
  }
  if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    bool multiplies = false;
    generic.getRegion().walk([&](arith::MulFOp) { multiplies = true; });
    if (!multiplies || generic.getNumReductionLoops() == 0)
      return 0;
    uint64_t macs = 1;
    for (int64_t r : generic.getStaticLoopRanges())
      macs *= uint64_t(std::max<int64_t>(r, 0));
    return 2 * macs;
  }
  uint64_t total = 0;
  for (Region &region : op->getRegions())
    for (Operation &inner : region.getOps())
      total += countFlops(&inner);
  if (auto loop = dyn_cast<scf::ParallelOp>(op))
    total *= uint64_t(tripCount(loop).value_or(1));
  return total;
}

struct FormDispatchesPass : tessera::impl::FormDispatchesBase<FormDispatchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> graphs;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f->hasAttr(tessera::kDispatchAttr) && !f.isExternal())
        graphs.push_back(f);
    unsigned counter = 0;
    for (func::FuncOp graph : graphs)
      if (failed(outline(graph, symbols, counter)))
        return signalPassFailure();
    tessera::reportStatistic(getArgument(), "dispatches formed", counter);
    unsigned shared = deduplicate(module, graphs);
    tessera::reportStatistic(getArgument(), "dispatches sharing another's code", shared);
  }

  /// Identical dispatch functions (the same computation on buffers of the same types, e.g.
  /// one per transformer block) are compiled once: calls to a duplicate call the first copy.
  unsigned deduplicate(ModuleOp module, ArrayRef<func::FuncOp> graphs) {
    llvm::StringMap<func::FuncOp> byBody;
    DenseMap<StringAttr, func::FuncOp> replacement;
    SmallVector<func::FuncOp> duplicates;
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (!fn->hasAttr(tessera::kDispatchAttr))
        continue;
      std::string key;
      {
        StringAttr name = fn.getSymNameAttr();
        fn.setSymName("__dispatch");
        llvm::raw_string_ostream os(key);
        fn.print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
        fn.setSymNameAttr(name);
      }
      auto [it, inserted] = byBody.try_emplace(key, fn);
      if (!inserted) {
        replacement[fn.getSymNameAttr()] = it->second;
        duplicates.push_back(fn);
      }
    }
    for (func::FuncOp graph : graphs)
      graph.walk([&](func::CallOp call) {
        auto it = replacement.find(call.getCalleeAttr().getAttr());
        if (it != replacement.end())
          call.setCallee(it->second.getSymName());
      });
    for (func::FuncOp fn : duplicates)
      fn.erase();
    return duplicates.size();
  }

  LogicalResult outline(func::FuncOp graph, SymbolTable &symbols, unsigned &counter) {
    SmallVector<Operation *> compute;
    for (Operation &op : graph.getBody().front()) {
      if (isa<linalg::LinalgOp, memref::CopyOp, tessera::tess::AttentionOp, scf::ParallelOp>(op))
        compute.push_back(&op);
      else if (op.getNumRegions() != 0)
        return op.emitError("cannot form dispatches around an op with regions");
    }
    OpBuilder builder(&getContext());
    for (Operation *op : compute) {
      SmallVector<Value> args;
      SmallVector<Type> argTypes;
      // Values used inside the op's body travel with it: constants (e.g. after elementwise
      // fusion) are cloned, buffers read by tensor.extract (gather) become arguments.
      llvm::SetVector<Value> captured;
      getUsedValuesDefinedAbove(op->getRegions(), captured);
      SmallVector<Value> buffers(op->getOperands().begin(), op->getOperands().end());
      SmallVector<Value> scalars;
      for (Value v : captured) {
        if (isa<MemRefType>(v.getType()))
          buffers.push_back(v);
        else
          scalars.push_back(v);
      }
      for (Value v : op->getOperands())
        if (!isa<MemRefType>(v.getType()))
          scalars.push_back(v);
      for (Value v : scalars) {
        Operation *def = v.getDefiningOp();
        if (!def || !def->hasTrait<OpTrait::ConstantLike>())
          return op->emitError("dispatch uses a value that is neither a buffer nor a constant");
      }
      // Each buffer is bound once, whole; the views the op reads it through are rebuilt
      // inside the dispatch. Distinct arguments then never overlap, which is what lets the
      // code generator mark them noalias (two views of one buffer could not be).
      SmallVector<SmallVector<Operation *>> viewChains;
      for (Value v : buffers) {
        if (!isa<MemRefType>(v.getType()))
          continue;
        SmallVector<Operation *> chain;
        Value root = tessera::codegen::bufferRoot(v, &chain);
        viewChains.push_back(std::move(chain));
        if (!llvm::is_contained(args, root)) {
          args.push_back(root);
          argTypes.push_back(root.getType());
        }
      }
      // The function goes right before the graph so that dispatches read in program order.
      builder.setInsertionPoint(graph);
      std::string name = "d" + std::to_string(counter++) + "_" + kindOf(op);
      auto fn =
          builder.create<func::FuncOp>(op->getLoc(), name, builder.getFunctionType(argTypes, {}));
      fn->setAttr(tessera::kDispatchAttr, builder.getUnitAttr());
      if (uint64_t flops = countFlops(op))
        fn->setAttr(tessera::kFlopsAttr, builder.getI64IntegerAttr(int64_t(flops)));
      symbols.insert(fn);
      Block *entry = fn.addEntryBlock();
      builder.setInsertionPointToStart(entry);
      IRMapping mapping;
      for (auto [i, v] : llvm::enumerate(args))
        mapping.map(v, entry->getArgument(i));
      for (Value v : scalars)
        if (!mapping.contains(v))
          mapping.map(v, builder.clone(*v.getDefiningOp())->getResult(0));
      for (ArrayRef<Operation *> chain : viewChains)
        for (Operation *view : chain)
          if (!mapping.contains(view->getResult(0)))
            builder.clone(*view, mapping);
      if (auto copy = dyn_cast<memref::CopyOp>(op))
        // Strided copies become loops like every other linalg op instead of a runtime call.
        builder.create<linalg::CopyOp>(op->getLoc(), mapping.lookup(copy.getSource()),
                                       mapping.lookup(copy.getTarget()));
      else
        builder.clone(*op, mapping);
      builder.create<func::ReturnOp>(op->getLoc());

      builder.setInsertionPoint(op);
      builder.create<func::CallOp>(op->getLoc(), fn, args);
      op->erase();
      ++numDispatches;
    }
    // Constants and views that only fed the outlined ops are now dead.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(graph.getBody().front())))
      if ((op.hasTrait<OpTrait::ConstantLike>() || tessera::codegen::isBufferView(&op)) &&
          op.use_empty())
        op.erase();
    return success();
  }
};

} // namespace
