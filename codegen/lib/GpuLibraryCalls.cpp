// Hands the dispatches that are one (strided batched) fp32 matrix product to cuBLASLt: a
// dispatch whose only work is `C += P * Q` over one reduction loop (after an optional fill of
// C with zero) gets a `tess.gpu_gemm` description in cuBLASLt's column-major terms and loses
// its loops, so tessera-outline-gpu-kernels makes no kernel for it. Everything else keeps the
// generated kernels.
//
// Loops are grouped into batch (read by both inputs), rows (only P), columns (only Q) and the
// reduction; each group must flatten into one stride per operand (a row-major run of
// dimensions), and the output must have unit stride along rows or columns.
#include "tessera/codegen/Passes.h"

#include "Contraction.h"
#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace tessera {
#define GEN_PASS_DEF_GPULIBRARYCALLS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using tessera::codegen::isMultiplyAccumulate;

namespace {

/// One operand as the product reads it: a function argument, an element offset into it, the
/// element stride of every loop (0 for loops it does not depend on).
struct Operand {
  unsigned binding = 0;
  int64_t offset = 0;
  SmallVector<int64_t> strides; // per loop
};

std::optional<Operand> describe(Value v, AffineMap map, func::FuncOp fn, unsigned numLoops) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.getElementType().isF32() ||
      !map.isProjectedPermutation(/*allowZeroInResults=*/true))
    return std::nullopt;
  auto root = dyn_cast<BlockArgument>(tessera::codegen::bufferRoot(v));
  if (!root || root.getOwner() != &fn.getBody().front())
    return std::nullopt;
  auto rootType = dyn_cast<MemRefType>(root.getType());
  if (!rootType || !rootType.getLayout().isIdentity())
    return std::nullopt;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(getStridesAndOffset(type, strides, offset)) || ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  Operand o;
  o.binding = root.getArgNumber();
  o.offset = offset;
  o.strides.assign(numLoops, 0);
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(e)) // else the constant 0 of an extent-1 loop
      o.strides[dim.getPosition()] = strides[i];
  return o;
}

/// The stride of loops `group` flattened (outermost first) in `o`: each loop's stride must be
/// the next one's times its extent. Loops the operand does not depend on must all be absent
/// (stride 0 for the whole group). Extent-1 loops are skipped.
std::optional<int64_t> flatStride(const Operand &o, ArrayRef<unsigned> group,
                                  ArrayRef<int64_t> ranges) {
  SmallVector<unsigned> live;
  for (unsigned d : group)
    if (ranges[d] != 1)
      live.push_back(d);
  if (live.empty())
    return 0;
  bool any = llvm::any_of(live, [&](unsigned d) { return o.strides[d] != 0; });
  bool all = llvm::all_of(live, [&](unsigned d) { return o.strides[d] != 0; });
  if (!any)
    return 0;
  if (!all)
    return std::nullopt;
  for (size_t i = 0; i + 1 < live.size(); ++i)
    if (o.strides[live[i]] != o.strides[live[i + 1]] * ranges[live[i + 1]])
      return std::nullopt;
  return o.strides[live.back()];
}

int64_t extent(ArrayRef<unsigned> group, ArrayRef<int64_t> ranges) {
  int64_t n = 1;
  for (unsigned d : group)
    n *= ranges[d];
  return n;
}

struct Gemm {
  int64_t m, n, k, batch;
  Operand a, b, d;
  bool ta, tb;
  int64_t lda, ldb, ldd, sa, sb, sd;
};

/// The column-major product D (m x n) = op(A) (m x k) op(B) (k x n), with A read through the
/// strides `am` (along m) and `ak` (along k): op = N needs unit stride along m (ld = ak),
/// op = T unit stride along k (ld = am).
bool operandLayout(int64_t strideRows, int64_t strideInner, int64_t rows, int64_t inner,
                   bool &transpose, int64_t &ld) {
  if (strideRows == 1 || rows == 1) {
    transpose = false;
    ld = inner == 1 ? std::max<int64_t>(rows, 1) : strideInner;
    return ld >= rows;
  }
  if (strideInner == 1 || inner == 1) {
    transpose = true;
    ld = rows == 1 ? std::max<int64_t>(inner, 1) : strideRows;
    return ld >= inner;
  }
  return false;
}

std::optional<Gemm> matchGemm(linalg::GenericOp op, func::FuncOp fn) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || !isMultiplyAccumulate(op))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  unsigned numLoops = ranges.size();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // Loops of extent 1 (a 1x1 convolution's window) index nothing: `oh + kh` is `oh`.
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> dims;
  for (unsigned l = 0; l < numLoops; ++l)
    dims.push_back(ranges[l] == 1 ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(l, ctx));
  for (AffineMap &m : maps)
    m = simplifyAffineMap(m.replaceDimsAndSymbols(dims, {}, numLoops, 0));
  auto p = describe(op.getDpsInputs()[0], maps[0], fn, numLoops);
  auto q = describe(op.getDpsInputs()[1], maps[1], fn, numLoops);
  auto c = describe(op.getDpsInits()[0], maps[2], fn, numLoops);
  if (!p || !q || !c)
    return std::nullopt;
  SmallVector<unsigned> batch, rows, cols, red;
  auto iterators = op.getIteratorTypesArray();
  for (unsigned l = 0; l < numLoops; ++l) {
    if (ranges[l] == 1)
      continue;
    bool inP = maps[0].isFunctionOfDim(l), inQ = maps[1].isFunctionOfDim(l);
    if (iterators[l] == utils::IteratorType::reduction) {
      if (!inP || !inQ)
        return std::nullopt;
      red.push_back(l);
    } else if (inP && inQ) {
      batch.push_back(l);
    } else if (inP) {
      rows.push_back(l);
    } else if (inQ) {
      cols.push_back(l);
    } else {
      return std::nullopt; // a loop that only broadcasts into the output
    }
  }
  // Order each group as the output walks it (outermost first), the reduction as P does.
  auto byStride = [&](SmallVector<unsigned> &g, const Operand &o) {
    llvm::stable_sort(g, [&](unsigned x, unsigned y) { return o.strides[x] > o.strides[y]; });
  };
  byStride(batch, *c);
  byStride(rows, *c);
  byStride(cols, *c);
  byStride(red, *p);
  auto pm = flatStride(*p, rows, ranges), pk = flatStride(*p, red, ranges);
  auto qn = flatStride(*q, cols, ranges), qk = flatStride(*q, red, ranges);
  auto cm = flatStride(*c, rows, ranges), cn = flatStride(*c, cols, ranges);
  auto pb = flatStride(*p, batch, ranges), qb = flatStride(*q, batch, ranges),
       cb = flatStride(*c, batch, ranges);
  if (!pm || !pk || !qn || !qk || !cm || !cn || !pb || !qb || !cb)
    return std::nullopt;
  int64_t M = extent(rows, ranges), N = extent(cols, ranges), K = extent(red, ranges);
  Gemm g;
  g.batch = extent(batch, ranges);
  g.k = K;
  // Column-major D needs unit stride along its rows: D = C^T (rows = columns of C) when C is
  // contiguous along its columns, else D = C.
  if (*cn == 1 || N == 1) {
    // D (N x M) = Q^T-side (N x K) * P^T-side (K x M).
    g.m = N, g.n = M;
    g.a = *q, g.b = *p, g.d = *c;
    g.ldd = M == 1 ? std::max<int64_t>(N, 1) : *cm;
    if (!operandLayout(*qn, *qk, N, K, g.ta, g.lda) || !operandLayout(*pk, *pm, K, M, g.tb, g.ldb))
      return std::nullopt;
    g.sa = *qb, g.sb = *pb, g.sd = *cb;
  } else if (*cm == 1 || M == 1) {
    g.m = M, g.n = N;
    g.a = *p, g.b = *q, g.d = *c;
    g.ldd = N == 1 ? std::max<int64_t>(M, 1) : *cn;
    if (!operandLayout(*pm, *pk, M, K, g.ta, g.lda) || !operandLayout(*qk, *qn, K, N, g.tb, g.ldb))
      return std::nullopt;
    g.sa = *pb, g.sb = *qb, g.sd = *cb;
  } else {
    return std::nullopt;
  }
  if (g.ldd < g.m)
    return std::nullopt;
  // Every matrix of a batch needs its own output.
  if (g.batch > 1 && g.sd == 0)
    return std::nullopt;
  return g;
}

struct GpuLibraryCallsPass : tessera::impl::GpuLibraryCallsBase<GpuLibraryCallsPass> {
  using GpuLibraryCallsBase::GpuLibraryCallsBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (!fn->hasAttr(tessera::kDispatchAttr) || fn.getBody().empty())
      return;
    Block &body = fn.getBody().front();
    SmallVector<Operation *> work;
    for (Operation &op : body)
      if (op.getNumResults() == 0 && !isa<func::ReturnOp>(op))
        work.push_back(&op);
    linalg::FillOp fill;
    linalg::GenericOp generic;
    if (work.size() == 2) {
      fill = dyn_cast<linalg::FillOp>(work[0]);
      generic = dyn_cast<linalg::GenericOp>(work[1]);
      if (!fill || !generic || fill.getDpsInits()[0] != generic.getDpsInits()[0])
        return;
      auto zero = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
      if (!value || !value.getValue().isZero())
        return;
    } else if (work.size() == 1) {
      generic = dyn_cast<linalg::GenericOp>(work[0]);
    }
    if (!generic || !generic.hasPureBufferSemantics())
      return;
    std::optional<Gemm> g = matchGemm(generic, fn);
    if (!g || g->m * g->n * g->k < minFlops / 2)
      return;
    Builder b(&getContext());
    auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
    NamedAttrList attrs;
    attrs.append("m", i64(g->m));
    attrs.append("n", i64(g->n));
    attrs.append("k", i64(g->k));
    attrs.append("batch", i64(g->batch));
    attrs.append("a", i64(g->a.binding));
    attrs.append("b", i64(g->b.binding));
    attrs.append("d", i64(g->d.binding));
    attrs.append("a_offset", i64(g->a.offset));
    attrs.append("b_offset", i64(g->b.offset));
    attrs.append("d_offset", i64(g->d.offset));
    attrs.append("transpose_a", b.getBoolAttr(g->ta));
    attrs.append("transpose_b", b.getBoolAttr(g->tb));
    attrs.append("lda", i64(g->lda));
    attrs.append("ldb", i64(g->ldb));
    attrs.append("ldd", i64(g->ldd));
    attrs.append("stride_a", i64(g->sa));
    attrs.append("stride_b", i64(g->sb));
    attrs.append("stride_d", i64(g->sd));
    attrs.append("beta", b.getF32FloatAttr(fill ? 0.0f : 1.0f));
    fn->setAttr(tessera::kGpuGemmAttr, attrs.getDictionary(&getContext()));
    generic->erase();
    if (fill)
      fill->erase();
    tessera::reportStatistic(getArgument(), "matrix products as cuBLASLt calls", 1);
  }
};

} // namespace
