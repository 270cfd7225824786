// Weight packing: constant rhs operands of contractions are read from a copy laid out in the
// kernel's column panels (see the pass description in Passes.td). The copy is a new graph
// argument; the module writer (or the runtime, for a seeded fill) produces its bytes.
#include "tessera/codegen/Passes.h"

#include "Contraction.h"
#include "Program.h"
#include "tessera/ir/GraphAttributes.h"
#include "tessera/passes/PassReport.h"

namespace tessera {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// Whether `type` is laid out row-major without gaps (any static offset).
bool isContiguous(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() || failed(getStridesAndOffset(type, strides, offset)) ||
      ShapedType::isDynamic(offset))
    return false;
  int64_t expected = 1;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) != 1 && strides[i] != expected)
      return false;
    expected *= type.getDimSize(i);
  }
  return true;
}

/// The parameter argument `v` reinterprets, and the element offset where it starts: `v` is
/// the argument or a chain of reshapes and slices of it that is a contiguous row-major block
/// of the argument's elements (in_proj_weight[0:dim] of a packed q/k/v projection).
std::pair<BlockArgument, int64_t> parameterBehind(Value v, func::FuncOp graph) {
  auto type = cast<MemRefType>(v.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!isContiguous(type) || failed(getStridesAndOffset(type, strides, offset)))
    return {};
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp>(def))
      return {};
    v = def->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &graph.getBody().front() ||
      !graph.getArgAttr(arg.getArgNumber(), tessera::kParamAttr) ||
      !cast<MemRefType>(arg.getType()).getLayout().isIdentity())
    return {};
  return {arg, offset};
}

struct PackWeightsPass : tessera::impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (vectorWidth < 1 || (vectorWidth & (vectorWidth - 1)))
      return emitError(UnknownLoc::get(ctx), "vector-width must be a power of two >= 1");
    if (panel < 0 || panel % vectorWidth)
      return emitError(UnknownLoc::get(ctx),
                       "panel must be 0 (automatic) or a positive multiple of vector-width");
    return success();
  }

  void runOnOperation() override {
    func::FuncOp graph = getOperation();
    if (graph->hasAttr(tessera::kDispatchAttr) || graph.isExternal())
      return;
    SmallVector<linalg::GenericOp> candidates;
    for (Operation &op : graph.getBody().front())
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        candidates.push_back(generic);
    unsigned packed = 0, reads = 0;
    for (linalg::GenericOp op : candidates) {
      std::optional<tessera::codegen::Contraction> c = tessera::codegen::matchContraction(op);
      if (!c || c->panel)
        continue;
      OpOperand *rhs = op.getDpsInputOperand(c->rhs);
      AffineMap map = op.getMatchingIndexingMap(rhs);
      auto [param, offset] = parameterBehind(rhs->get(), graph);
      if (!param || !map.isProjectedPermutation())
        continue;
      int64_t width =
          panel ? int64_t(panel) : tessera::codegen::chooseColumns(c->ranges[c->n], vectorWidth);
      bool created = false;
      BlockArgument copy = packedCopy(graph, param, offset, rhs->get(), map, *c, width, created);
      packed += created;
      ++reads;
      // (.., n floordiv panel, ..), then n mod panel last.
      SmallVector<AffineExpr> results;
      for (unsigned p : permutationOf(map, *c)) {
        AffineExpr e = map.getResult(p);
        results.push_back(cast<AffineDimExpr>(e).getPosition() == c->n ? e.floorDiv(width) : e);
      }
      results.push_back(getAffineDimExpr(c->n, &getContext()) % width);
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      maps[rhs->getOperandNumber()] = AffineMap::get(map.getNumDims(), 0, results, &getContext());
      op.setIndexingMapsAttr(OpBuilder(op).getAffineMapArrayAttr(maps));
      rhs->set(copy);
    }
    numPacked += packed;
    numReads += reads;
    tessera::reportStatistic(getArgument(), "parameters packed into panels", packed);
    tessera::reportStatistic(getArgument(), "contractions reading packed parameters", reads);
  }

  /// The order of rhs's dimensions in the packed copy: its other parallel loops (in rhs's
  /// order), n, then its reduction loops in the kernel's order.
  SmallVector<unsigned> permutationOf(AffineMap map, const tessera::codegen::Contraction &c) {
    SmallVector<unsigned> outer, reductions;
    unsigned nPos = 0;
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (d == c.n)
        nPos = i;
      else if (!llvm::is_contained(c.reductions, d))
        outer.push_back(i);
    }
    // Reductions in the kernel's loop order, so that it streams the panel front to back.
    for (unsigned d : c.reductions)
      for (auto [i, e] : llvm::enumerate(map.getResults()))
        if (cast<AffineDimExpr>(e).getPosition() == d)
          reductions.push_back(i);
    SmallVector<unsigned> perm = outer;
    perm.push_back(nPos);
    perm.append(reductions.begin(), reductions.end());
    return perm;
  }

  BlockArgument packedCopy(func::FuncOp graph, BlockArgument param, int64_t offset, Value view,
                           AffineMap map, const tessera::codegen::Contraction &c, int64_t panel,
                           bool &created) {
    MLIRContext *ctx = &getContext();
    Builder b(ctx);
    auto viewType = cast<MemRefType>(view.getType());
    SmallVector<unsigned> perm = permutationOf(map, c);
    // n comes right after rhs's other parallel loops.
    unsigned panelDim = llvm::count_if(map.getResults(), [&](AffineExpr e) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      return d != c.n && !llvm::is_contained(c.reductions, d);
    });
    SmallVector<int64_t> shape;
    for (unsigned p : perm)
      shape.push_back(viewType.getDimSize(p));
    shape[panelDim] = (shape[panelDim] + panel - 1) / panel;
    shape.push_back(panel);
    auto name = graph.getArgAttrOfType<StringAttr>(param.getArgNumber(), tessera::kParamAttr);
    SmallVector<int64_t> permutation(perm.begin(), perm.end());
    DictionaryAttr info = b.getDictionaryAttr({
        b.getNamedAttr("param", name),
        b.getNamedAttr("shape", b.getDenseI64ArrayAttr(viewType.getShape())),
        b.getNamedAttr("permutation", b.getDenseI64ArrayAttr(permutation)),
        b.getNamedAttr("panel_dim", b.getI64IntegerAttr(panelDim)),
        b.getNamedAttr("panel", b.getI64IntegerAttr(panel)),
        b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
    });
    // One copy per (parameter, layout).
    unsigned last = 0;
    for (BlockArgument arg : graph.getArguments()) {
      if (graph.getArgAttr(arg.getArgNumber(), tessera::kParamAttr))
        last = arg.getArgNumber() + 1;
      if (auto existing =
              graph.getArgAttrOfType<DictionaryAttr>(arg.getArgNumber(), tessera::kPackedAttr)) {
        last = arg.getArgNumber() + 1;
        if (existing == info)
          return arg;
      }
    }
    auto type = MemRefType::get(shape, viewType.getElementType());
    DictionaryAttr attrs = b.getDictionaryAttr({b.getNamedAttr(tessera::kPackedAttr, info)});
    (void)graph.insertArgument(last, type, attrs, graph.getLoc());
    created = true;
    return graph.getArgument(last);
  }
};

} // namespace
