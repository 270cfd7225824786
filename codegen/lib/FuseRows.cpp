// Row fusion: consecutive ops of the bufferized graph that all iterate over the same leading
// parallel "rows" (tokens, pixels of a channel, ...) and only pass data to each other row by
// row run as one loop over rows, each row running the ops in program order. This is how a
// layer norm, a bias add, a GEMM and its GELU or residual add become one dispatch without
// recomputing anything: every op still runs exactly its own iterations.
#include "tessera/codegen/Passes.h"

#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SmallBitVector.h"

namespace tessera {
#define GEN_PASS_DEF_FUSEROWS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using tessera::codegen::bufferRoot;

namespace {

/// How one op touches one buffer with respect to the row loops d0 .. d(p-1).
struct Access {
  Operation *op;
  Value value; // the memref operand as the op sees it
  bool written;
  bool broadcast; // depends on no row loop: the whole buffer is read
  /// Else: the buffer dimension indexed by exactly row loop i, or -1 where the buffer does
  /// not depend on row loop i (a partial row: every row (b, n) of a GEMM reads x[b, :]).
  SmallVector<int> positions;
  bool partial = false;
  /// A read whose indices mix row loops into other expressions (a patch embedding reads
  /// the image at row / grid, row % grid): read inside the body at computed indices.
  bool gathered = false;
};

bool isRowFusible(Operation *op) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return cast<MemRefType>(copy.getSource().getType()).hasStaticShape() &&
           copy.getSource().getType() == copy.getTarget().getType();
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureBufferSemantics() && !linalgOp.hasDynamicShape();
}

/// The shape of the buffer an op writes; its leading dimensions are the op's rows.
ArrayRef<int64_t> outputShape(Operation *op) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return cast<MemRefType>(copy.getTarget().getType()).getShape();
  auto linalgOp = cast<linalg::LinalgOp>(op);
  if (linalgOp.getNumDpsInits() == 0)
    return {};
  return cast<MemRefType>(linalgOp.getDpsInitOperand(0)->get().getType()).getShape();
}

/// The loop that walks each of the output dimensions `rowDims`; fails unless each is a
/// parallel loop indexing that dimension directly (a contraction's output rows usually are
/// not its outermost loops).
FailureOr<SmallVector<unsigned>> rowLoopsOf(Operation *op, ArrayRef<unsigned> rowDims) {
  SmallVector<unsigned> loops;
  if (isa<memref::CopyOp>(op))
    return SmallVector<unsigned>(rowDims);
  auto linalgOp = cast<linalg::LinalgOp>(op);
  if (linalgOp.getNumDpsInits() == 0)
    return failure();
  AffineMap map = linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
  auto iterators = linalgOp.getIteratorTypesArray();
  for (unsigned i : rowDims) {
    if (i >= map.getNumResults())
      return failure();
    auto dim = dyn_cast<AffineDimExpr>(map.getResult(i));
    if (!dim || iterators[dim.getPosition()] != utils::IteratorType::parallel)
      return failure();
    loops.push_back(dim.getPosition());
  }
  return loops;
}

/// Classifies `op`'s memref accesses for the row dimensions `rowDims` of its output; fails
/// when a written buffer is not indexed by plain row indices (then the op cannot run one row
/// at a time).
LogicalResult accessesOf(Operation *op, ArrayRef<unsigned> rowDims, SmallVector<Access> &out) {
  unsigned p = rowDims.size();
  FailureOr<SmallVector<unsigned>> rowLoops = rowLoopsOf(op, rowDims);
  if (failed(rowLoops))
    return failure();
  auto classify = [&](Value v, AffineMap map, bool written) -> LogicalResult {
    Access a{op, v, written, false, {}};
    unsigned found = 0, used = 0;
    bool plain = true;
    for (unsigned loop : *rowLoops) {
      std::optional<unsigned> position;
      for (auto [j, e] : llvm::enumerate(map.getResults())) {
        if (!e.isFunctionOfDim(loop))
          continue;
        ++used;
        auto dim = dyn_cast<AffineDimExpr>(e);
        if (!dim || position)
          plain = false;
        position = j;
      }
      a.positions.push_back(position ? int(*position) : -1);
      found += position.has_value();
    }
    if (found == 0 && used == 0) {
      a.broadcast = true;
      a.positions.clear();
    } else if (plain && found < p && !written) {
      a.partial = true;
    } else if (!plain || found != p) {
      if (written || !isa<linalg::GenericOp>(op))
        return failure();
      a.gathered = a.broadcast = true;
      a.positions.clear();
    }
    if (written && a.broadcast)
      return failure();
    out.push_back(a);
    return success();
  };
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    auto identity = AffineMap::getMultiDimIdentityMap(
        cast<MemRefType>(copy.getTarget().getType()).getRank(), op->getContext());
    return success(succeeded(classify(copy.getSource(), identity, false)) &&
                   succeeded(classify(copy.getTarget(), identity, true)));
  }
  auto linalgOp = cast<linalg::LinalgOp>(op);
  size_t first = out.size();
  // Loops whose range some operand read through a plain index still defines.
  llvm::SmallBitVector bounded(linalgOp.getNumLoops());
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
    if (failed(classify(operand.get(), map, linalgOp.isDpsInit(&operand))))
      return failure();
    if (!out.back().gathered)
      for (AffineExpr e : map.getResults())
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          bounded.set(dim.getPosition());
  }
  bool gathers =
      llvm::any_of(ArrayRef(out).drop_front(first), [](const Access &a) { return a.gathered; });
  if (gathers && !bounded.all())
    return failure();
  // Buffers read inside the body (a gather's memref.load) may be read anywhere.
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  for (Value v : captured)
    if (isa<MemRefType>(v.getType()))
      out.push_back(Access{op, v, false, true, {}});
  // One value is one subview in the row loop (the clone remaps every use of it, loads in
  // the body included): two different accesses to it cannot be.
  for (size_t i = first; i < out.size(); ++i)
    for (size_t j = i + 1; j < out.size(); ++j)
      if (out[i].value == out[j].value &&
          (out[i].broadcast != out[j].broadcast || out[i].positions != out[j].positions))
        return failure();
  return success();
}

/// A copy of `op`, before it, whose inputs `gathered` are no longer operands but loaded inside
/// the body at the indices their indexing maps compute from linalg.index.
linalg::GenericOp readInBody(linalg::GenericOp op, ArrayRef<Value> gathered) {
  OpBuilder b(op);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : op.getDpsInputOperands())
    if (!llvm::is_contained(gathered, in->get())) {
      inputs.push_back(in->get());
      maps.push_back(op.getMatchingIndexingMap(in));
    }
  for (OpOperand &out : op.getDpsInitsMutable())
    maps.push_back(op.getMatchingIndexingMap(&out));
  auto generic = b.create<linalg::GenericOp>(op.getLoc(), TypeRange{}, inputs, op.getDpsInits(),
                                             maps, op.getIteratorTypesArray());
  generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  Block *old = op.getBody();
  Block *body = b.createBlock(&generic.getRegion());
  b.setInsertionPointToStart(body);
  IRMapping mapping;
  SmallVector<Value> loopIndices;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    loopIndices.push_back(b.create<linalg::IndexOp>(op.getLoc(), d));
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = old->getArgument(operand.getOperandNumber());
    if (op.isDpsInput(&operand) && llvm::is_contained(gathered, operand.get())) {
      SmallVector<Value> indices;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (AffineExpr e : map.getResults())
        indices.push_back(b.create<affine::AffineApplyOp>(
            op.getLoc(), AffineMap::get(map.getNumDims(), 0, e), loopIndices));
      mapping.map(arg, b.create<memref::LoadOp>(op.getLoc(), operand.get(), indices));
    } else {
      mapping.map(arg, body->addArgument(arg.getType(), arg.getLoc()));
    }
  }
  for (Operation &inner : *old)
    b.clone(inner, mapping);
  return generic;
}

/// Row r of `access` is the r-th contiguous chunk of its root buffer: the access reads rows
/// through the leading dimensions of a contiguous view of the whole buffer.
bool isCanonicalRow(const Access &access, Value root) {
  auto type = cast<MemRefType>(access.value.getType());
  auto rootType = cast<MemRefType>(root.getType());
  if (!memref::isStaticShapeAndContiguousRowMajor(type) ||
      !memref::isStaticShapeAndContiguousRowMajor(rootType) ||
      type.getNumElements() != rootType.getNumElements())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(getStridesAndOffset(type, strides, offset)) || offset != 0)
    return false;
  for (auto [i, position] : llvm::enumerate(access.positions))
    if (position != int(i))
      return false;
  return true;
}

/// Loops of `op` in their nest order, outermost first, are exactly its row loops first: the
/// op alone would walk its rows in the same order, so running it row by row re-reads nothing
/// it did not re-read already.
bool rowsAreOutermost(Operation *op, ArrayRef<unsigned> rowLoops) {
  for (auto [i, loop] : llvm::enumerate(rowLoops))
    if (loop != i)
      return false;
  return true;
}

/// Running the ops one row at a time computes what running them one after the other does:
/// whatever a member writes, every member touches only row by row and in the same rows. And
/// it is not slower: a member re-reading a large buffer for every row must already walk its
/// rows outermost (a GEMM by output column keeps its weight row for all tokens; by token it
/// would stream the whole weight matrix per token).
bool isRowSafe(ArrayRef<Operation *> ops, ArrayRef<unsigned> rowDims, ArrayRef<int64_t> rows,
               int64_t maxBroadcastBytes) {
  SmallVector<Access> accesses;
  for (Operation *op : ops) {
    ArrayRef<int64_t> shape = outputShape(op);
    for (auto [i, d] : llvm::enumerate(rowDims))
      if (d >= shape.size() || shape[d] != rows[i])
        return false;
    size_t first = accesses.size();
    if (failed(accessesOf(op, rowDims, accesses)))
      return false;
    // What each row reads of an operand that is not split by rows: all of it (broadcast)
    // or its slice along the row dimensions it does have (partial).
    bool rereads = llvm::any_of(ArrayRef(accesses).drop_front(first), [&](const Access &a) {
      if (!a.broadcast && !a.partial)
        return false;
      int64_t bytes = tessera::codegen::byteSize(cast<MemRefType>(a.value.getType()));
      for (auto [i, position] : llvm::enumerate(a.positions))
        if (position >= 0)
          bytes /= rows[i];
      return bytes > maxBroadcastBytes;
    });
    if (rereads)
      return false;
    // Row loops taken out of a reduction's nest must be its outermost loops: otherwise running
    // it row by row reorders its loops (a GEMM by output element instead of by row).
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (linalgOp && linalgOp.getNumReductionLoops() > 0 &&
        !rowsAreOutermost(op, *rowLoopsOf(op, rowDims)))
      return false;
  }
  llvm::MapVector<Value, SmallVector<Access *>> byRoot;
  for (Access &a : accesses)
    byRoot[bufferRoot(a.value)].push_back(&a);
  for (auto &[root, list] : byRoot) {
    if (llvm::none_of(list, [](Access *a) { return a->written; }))
      continue;
    bool canonical = llvm::all_of(
        list, [&](Access *a) { return !a->broadcast && !a->partial && isCanonicalRow(*a, root); });
    bool sameView = llvm::all_of(list, [&](Access *a) {
      return !a->broadcast && !a->partial && a->value == list.front()->value &&
             a->positions == list.front()->positions;
    });
    if (!canonical && !sameView)
      return false;
  }
  return true;
}

/// Row dimension sets worth trying for an op writing `shape`, in order of preference: the
/// shortest leading prefixes with at least `minRows` rows (tokens, pixels), then single
/// trailing dimensions (a GEMM's output features).
SmallVector<SmallVector<unsigned>> candidateRowDims(ArrayRef<int64_t> shape, int64_t minRows) {
  SmallVector<SmallVector<unsigned>> candidates;
  int64_t rows = 1;
  SmallVector<unsigned> prefix;
  for (unsigned d = 0; d < shape.size(); ++d) {
    rows *= shape[d];
    prefix.push_back(d);
    if (rows >= minRows)
      candidates.push_back(prefix);
  }
  for (unsigned d = 1; d < shape.size(); ++d)
    if (shape[d] >= minRows)
      candidates.push_back({d});
  return candidates;
}

struct FuseRowsPass : tessera::impl::FuseRowsBase<FuseRowsPass> {
  using FuseRowsBase::FuseRowsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (minRows < 1 || maxBroadcastBytes < 0)
      return emitError(UnknownLoc::get(ctx))
             << "tessera-fuse-rows: min-rows must be >= 1 and max-broadcast-bytes >= 0";
    return success();
  }

  void runOnOperation() override {
    func::FuncOp graph = getOperation();
    if (graph->hasAttr(tessera::kDispatchAttr) || graph.isExternal() ||
        !graph.getBody().hasOneBlock())
      return;
    // The current group and the row dimension sets that are safe for all of its members.
    SmallVector<Operation *> group;
    SmallVector<SmallVector<unsigned>> candidates;
    SmallVector<int64_t> shape; // the first member's output shape
    unsigned loops = 0, members = 0;
    auto rowsOf = [&](ArrayRef<unsigned> dims) {
      SmallVector<int64_t> rows;
      for (unsigned d : dims)
        rows.push_back(shape[d]);
      return rows;
    };
    auto flush = [&]() {
      // Rows are leading dimensions (contiguous chunks), or a trailing dimension that a
      // contraction in the group walks outermost anyway (a GEMM by output feature): an
      // elementwise chain alone would only make its accesses strided.
      auto justified = [&](ArrayRef<unsigned> dims) {
        if (dims.front() == 0 && dims.back() == dims.size() - 1)
          return true;
        return llvm::any_of(group, [&](Operation *op) {
          auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
          return linalgOp && linalgOp.getNumReductionLoops() > 0 &&
                 rowsAreOutermost(op, *rowLoopsOf(op, dims));
        });
      };
      auto chosen = llvm::find_if(candidates, justified);
      if (group.size() >= 2 && chosen != candidates.end()) {
        materialize(group, *chosen, rowsOf(*chosen));
        ++loops;
        members += group.size();
      }
      group.clear();
    };
    for (Operation &op : llvm::make_early_inc_range(graph.getBody().front())) {
      if (op.hasTrait<OpTrait::ConstantLike>() || tessera::codegen::isBufferView(&op) ||
          isa<memref::AllocOp>(op))
        continue; // host-side and pure: does not separate the compute ops around it
      if (!isRowFusible(&op)) {
        flush();
        continue;
      }
      if (!group.empty()) {
        group.push_back(&op);
        SmallVector<SmallVector<unsigned>> kept;
        for (auto &dims : candidates)
          if (isRowSafe(group, dims, rowsOf(dims), maxBroadcastBytes))
            kept.push_back(dims);
        if (!kept.empty()) {
          candidates = std::move(kept);
          continue;
        }
        group.pop_back();
        flush();
      }
      shape.assign(outputShape(&op).begin(), outputShape(&op).end());
      candidates.clear();
      for (auto &dims : candidateRowDims(shape, minRows))
        if (isRowSafe({&op}, dims, rowsOf(dims), maxBroadcastBytes))
          candidates.push_back(dims);
      if (!candidates.empty())
        group.push_back(&op);
    }
    flush();
    numLoops += loops;
    numFused += members;
    tessera::reportStatistic(getArgument(), "row loops formed", loops);
    tessera::reportStatistic(getArgument(), "ops fused into row loops", members);
  }

  /// One scf.parallel over the rows; each member runs on rank-preserving row subviews.
  void materialize(ArrayRef<Operation *> group, ArrayRef<unsigned> rowDims,
                   ArrayRef<int64_t> rows) {
    unsigned p = rowDims.size();
    Operation *last = group.back();
    OpBuilder b(last);
    Location loc = last->getLoc();
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    SmallVector<Value> lbs(p, zero), steps(p, one), ubs;
    for (int64_t r : rows)
      ubs.push_back(b.create<arith::ConstantIndexOp>(loc, r));
    auto loop = b.create<scf::ParallelOp>(loc, lbs, ubs, steps);
    SmallVector<Value> ivs(loop.getInductionVars());
    b.setInsertionPoint(loop.getBody()->getTerminator());

    SmallVector<Operation *> rewritten;
    for (Operation *original : group) {
      Operation *op = original;
      SmallVector<Access> accesses;
      (void)accessesOf(op, rowDims, accesses);
      SmallVector<Value> gathered;
      for (const Access &a : accesses)
        if (a.gathered)
          gathered.push_back(a.value);
      if (!gathered.empty()) {
        op = readInBody(cast<linalg::GenericOp>(op), gathered);
        rewritten.push_back(op);
      }
      IRMapping mapping;
      for (const Access &a : accesses) {
        if (a.broadcast || mapping.contains(a.value))
          continue;
        auto type = cast<MemRefType>(a.value.getType());
        SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
        SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
        for (int64_t d : type.getShape())
          sizes.push_back(b.getIndexAttr(d));
        for (auto [i, position] : llvm::enumerate(a.positions)) {
          if (position < 0)
            continue;
          offsets[position] = ivs[i];
          sizes[position] = b.getIndexAttr(1);
        }
        mapping.map(a.value,
                    b.create<memref::SubViewOp>(op->getLoc(), a.value, offsets, sizes, strides));
      }
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        b.create<linalg::CopyOp>(op->getLoc(), mapping.lookup(copy.getSource()),
                                 mapping.lookup(copy.getTarget()));
        continue;
      }
      Operation *clone = b.clone(*op, mapping);
      // linalg.index of a row loop now counts from the row, not from zero.
      SmallVector<unsigned> rowLoops = *rowLoopsOf(op, rowDims);
      clone->walk([&](linalg::IndexOp index) {
        auto *row = llvm::find(rowLoops, index.getDim());
        if (row == rowLoops.end())
          return;
        OpBuilder ib(index->getContext());
        ib.setInsertionPointAfter(index);
        Value shifted =
            ib.create<arith::AddIOp>(index.getLoc(), index, ivs[row - rowLoops.begin()]);
        index.getResult().replaceAllUsesExcept(shifted, shifted.getDefiningOp());
      });
    }
    for (Operation *op : llvm::concat<Operation *const>(group, rewritten))
      op->erase();
  }
};

} // namespace
