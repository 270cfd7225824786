// Transposes absorbed into a layout: a linalg.transpose between two buffers is a copy whose
// only job is a layout change. Either its readers read the source through a permuted view,
// or its producer writes through a permuted view of the destination; both leave the copy,
// and its dispatch, out. (Multi-head attention: the q/k/v split of the fused projection and
// the merge of the heads.)
#include "tessera/codegen/Passes.h"

#include "BufferAccess.h"
#include "Program.h"
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace tessera {
#define GEN_PASS_DEF_ABSORBTRANSPOSES
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using tessera::codegen::bufferRoot;
using tessera::codegen::overwrites;
using tessera::codegen::touches;
using tessera::codegen::writesAll;

namespace {

/// collapse_shape where each group has at most one dimension of size > 1, as a
/// reinterpret_cast: the collapsed dimension keeps that dimension's stride. (MLIR's collapse
/// rejects some such groups once a permutation gives the unit dimensions odd strides.)
Operation *collapseUnitDims(OpBuilder &b, memref::CollapseShapeOp collapse, Value source) {
  auto type = cast<MemRefType>(source.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() || failed(getStridesAndOffset(type, strides, offset)) ||
      ShapedType::isDynamic(offset) || llvm::any_of(strides, ShapedType::isDynamic))
    return nullptr;
  SmallVector<int64_t> sizes, newStrides;
  for (const ReassociationIndices &group : collapse.getReassociationIndices()) {
    int64_t size = 1, stride = 1;
    unsigned nonUnit = 0;
    for (int64_t d : group)
      if (type.getDimSize(d) != 1) {
        ++nonUnit;
        size = type.getDimSize(d);
        stride = strides[d];
      }
    if (nonUnit > 1)
      return nullptr;
    sizes.push_back(size);
    newStrides.push_back(stride);
  }
  auto layout = StridedLayoutAttr::get(b.getContext(), offset, newStrides);
  auto result = MemRefType::get(sizes, type.getElementType(), layout, type.getMemorySpace());
  return b.create<memref::ReinterpretCastOp>(collapse.getLoc(), result, source, offset, sizes,
                                             newStrides);
}

/// Rebuilds the views of `oldBase` on `newBase` (whose type differs in layout only) and
/// points the users `inScope` accepts at the rebuilt values. Fails, changing nothing, when a
/// view cannot be rebuilt (a collapse of dimensions the new layout keeps apart).
LogicalResult rebase(Value oldBase, Value newBase, function_ref<bool(Operation *)> inScope) {
  SmallVector<Operation *> created;
  DenseMap<Value, Value> rebuilt;
  SmallVector<std::pair<Value, Value>> worklist = {{oldBase, newBase}};
  SmallVector<OpOperand *> uses;
  OpBuilder b(newBase.getContext());
  auto fail = [&]() {
    for (Operation *op : llvm::reverse(created))
      op->erase();
    return failure();
  };
  while (!worklist.empty()) {
    auto [from, to] = worklist.pop_back_val();
    rebuilt[from] = to;
    for (OpOperand &use : from.getUses()) {
      Operation *user = use.getOwner();
      if (!tessera::codegen::isBufferView(user)) {
        if (inScope(user))
          uses.push_back(&use);
        continue;
      }
      // After both the old view (its position) and the new base (its definition).
      Operation *toDef = to.getDefiningOp();
      if (toDef && user->isBeforeInBlock(toDef))
        b.setInsertionPointAfter(toDef);
      else
        b.setInsertionPoint(user);
      Operation *view = nullptr;
      if (auto sub = dyn_cast<memref::SubViewOp>(user)) {
        auto type = memref::SubViewOp::inferRankReducedResultType(
            sub.getType().getShape(), cast<MemRefType>(to.getType()), sub.getMixedOffsets(),
            sub.getMixedSizes(), sub.getMixedStrides());
        view = b.create<memref::SubViewOp>(sub.getLoc(), cast<MemRefType>(type), to,
                                           sub.getMixedOffsets(), sub.getMixedSizes(),
                                           sub.getMixedStrides());
      } else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(user)) {
        auto type = cast<MemRefType>(to.getType());
        if (memref::CollapseShapeOp::isGuaranteedCollapsible(type,
                                                             collapse.getReassociationIndices()))
          view = b.create<memref::CollapseShapeOp>(collapse.getLoc(), to,
                                                   collapse.getReassociationIndices());
        else if (!(view = collapseUnitDims(b, collapse, to)))
          return fail();
      } else if (auto expand = dyn_cast<memref::ExpandShapeOp>(user)) {
        auto type = memref::ExpandShapeOp::computeExpandedType(cast<MemRefType>(to.getType()),
                                                               expand.getType().getShape(),
                                                               expand.getReassociationIndices());
        if (failed(type))
          return fail();
        view = b.create<memref::ExpandShapeOp>(expand.getLoc(), *type, to,
                                               expand.getReassociationIndices());
      } else {
        return fail();
      }
      created.push_back(view);
      worklist.push_back({user->getResult(0), view->getResult(0)});
    }
  }
  for (OpOperand *use : uses)
    use->set(rebuilt.lookup(use->get()));
  for (Operation *op : llvm::reverse(created))
    if (op->use_empty())
      op->erase();
  return success();
}

/// The view of `base` permuted by `permutation` (result dimension i = base dimension p[i]).
Value permutedView(OpBuilder &b, Location loc, Value base, ArrayRef<int64_t> permutation) {
  SmallVector<unsigned> p(permutation.begin(), permutation.end());
  return b.create<memref::TransposeOp>(
      loc, base, AffineMapAttr::get(AffineMap::getPermutationMap(p, b.getContext())));
}

struct AbsorbTransposesPass : tessera::impl::AbsorbTransposesBase<AbsorbTransposesPass> {
  using AbsorbTransposesBase::AbsorbTransposesBase;
  void runOnOperation() override {
    func::FuncOp graph = getOperation();
    if (graph->hasAttr(tessera::kDispatchAttr) || graph.isExternal() ||
        !graph.getBody().hasOneBlock())
      return;
    SmallVector<linalg::TransposeOp> transposes;
    for (Operation &op : graph.getBody().front())
      if (auto t = dyn_cast<linalg::TransposeOp>(op); t && t.hasPureBufferSemantics())
        transposes.push_back(t);
    unsigned readers = 0, producers = 0;
    for (linalg::TransposeOp t : transposes) {
      // Only layouts that keep the innermost dimension contiguous: a view that moves it
      // makes the reader's (or producer's) inner loop strided, which costs more than the
      // copy (measured on FPT's token <-> NCHW transposes).
      ArrayRef<int64_t> perm = t.getPermutation();
      if (perm.empty() || perm.back() != int64_t(perm.size()) - 1)
        continue;
      if (succeeded(readThroughView(t)))
        ++readers;
      else if (succeeded(writeThroughView(t)))
        ++producers;
    }
    numAbsorbed += readers + producers;
    tessera::reportStatistic(getArgument(), "transposes read through a permuted view", readers);
    tessera::reportStatistic(getArgument(), "transposes written through a permuted view",
                             producers);
  }

  /// dst = transpose(src), dst a buffer of its own: until dst is next written, its readers
  /// read src through a permuted view instead, provided src does not change meanwhile.
  LogicalResult readThroughView(linalg::TransposeOp t) {
    auto alloc = t.getInit().getDefiningOp<memref::AllocOp>();
    if (!alloc)
      return failure();
    Value dst = alloc.getResult(), src = bufferRoot(t.getInput());
    // The readers of the transposed value: up to an op that replaces all of dst (after it,
    // dst holds another value). Any other kind of write, partial or in place, or a use the
    // analysis cannot classify, would still see the transposed data: give up.
    SmallPtrSet<Operation *, 8> readers;
    for (Operation *op = t->getNextNode(); op; op = op->getNextNode()) {
      if (touches(op, dst, /*writesOnly=*/true)) {
        if (!overwrites(op, dst) || !writesAll(op, dst))
          return failure();
        break;
      }
      if (touches(op, dst, /*writesOnly=*/false))
        readers.insert(op);
    }
    // Attention reads its q and v rows (contiguous, any row stride) through the view; its
    // keys get a transposed copy of their own (tessera-transpose-attention-keys), read from
    // the fused q/k/v projection directly.
    if (readers.empty() || (!attentionViews && llvm::any_of(readers, [](Operation *op) {
          return isa<tessera::tess::AttentionOp>(op);
        })))
      return failure();
    Operation *lastReader = *llvm::max_element(
        readers, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    for (Operation *op = t->getNextNode(); op != lastReader->getNextNode(); op = op->getNextNode())
      if (touches(op, src, /*writesOnly=*/true))
        return failure();
    OpBuilder b(t);
    Value view = permutedView(b, t.getLoc(), t.getInput(), t.getPermutation());
    if (failed(rebase(dst, view, [&](Operation *op) { return readers.contains(op); }))) {
      view.getDefiningOp()->erase();
      return failure();
    }
    t.erase();
    eraseDeadViews(dst);
    return success();
  }

  /// dst = transpose(src), src a buffer of its own whose value the transpose is the only
  /// reader of, written by one producer P: P writes dst through the inverse permutation
  /// instead, provided nothing touches dst between P and the transpose.
  LogicalResult writeThroughView(linalg::TransposeOp t) {
    auto alloc = t.getInput().getDefiningOp<memref::AllocOp>();
    if (!alloc)
      return failure();
    Value src = alloc.getResult(), dst = bufferRoot(t.getInit());
    Operation *producer = nullptr;
    for (Operation *op = t->getPrevNode(); op && !producer; op = op->getPrevNode())
      if (touches(op, src, /*writesOnly=*/false))
        producer = op;
    if (!producer || !overwrites(producer, src) || !writesAll(producer, src))
      return failure();
    // After the transpose, src must be overwritten before it is read again.
    for (Operation *op = t->getNextNode(); op; op = op->getNextNode()) {
      if (overwrites(op, src) && writesAll(op, src))
        break;
      if (touches(op, src, /*writesOnly=*/false))
        return failure();
    }
    for (Operation *op = producer; op != t.getOperation(); op = op->getNextNode())
      if (touches(op, dst, /*writesOnly=*/false))
        return failure();
    // The destination view must exist before the producer runs.
    SmallVector<Operation *> chain;
    if (Operation *rootDef = bufferRoot(t.getInit(), &chain).getDefiningOp()) {
      if (!isa<memref::AllocOp>(rootDef))
        return failure();
      chain.insert(chain.begin(), rootDef);
    }
    for (Operation *def : chain)
      if (producer->isBeforeInBlock(def))
        def->moveBefore(producer);
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = i;
    OpBuilder b(producer);
    Value view = permutedView(b, t.getLoc(), t.getInit(), inverse);
    if (failed(rebase(src, view, [&](Operation *op) { return op == producer; }))) {
      view.getDefiningOp()->erase();
      return failure();
    }
    t.erase();
    eraseDeadViews(src);
    return success();
  }

  /// Erases `root` and the views of it that nothing uses any more.
  void eraseDeadViews(Value root) {
    SmallVector<Operation *> views;
    SmallVector<Value> worklist = {root};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (Operation *user : v.getUsers()) {
        if (!tessera::codegen::isBufferView(user))
          continue;
        views.push_back(user);
        worklist.append(user->result_begin(), user->result_end());
      }
    }
    for (Operation *view : llvm::reverse(views))
      if (view->use_empty())
        view->erase();
    if (Operation *def = root.getDefiningOp(); def && def->use_empty())
      def->erase();
  }
};

} // namespace
