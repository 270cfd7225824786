#include "Contraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tessera::codegen {

int64_t chooseColumns(int64_t n, int64_t lanes) {
  int64_t maxVectors = lanes >= 16 ? 4 : 3;
  int64_t best = 0, bestWaste = 0;
  for (int64_t vectors : {3l, 2l, 4l}) {
    if (vectors > maxVectors)
      continue;
    int64_t columns = vectors * lanes;
    int64_t waste = (n + columns - 1) / columns * columns - n;
    if (!best || waste < bestWaste) {
      best = columns;
      bestWaste = waste;
    }
  }
  return best;
}

int64_t chooseRows(int64_t vectors, int64_t lanes) {
  if (lanes >= 16) // 32 zmm registers
    return vectors <= 2 ? 12 : vectors == 3 ? 8 : 6;
  return vectors <= 1 ? 8 : vectors == 2 ? 6 : 4;
}

bool hasUnitInnerStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() || failed(getStridesAndOffset(type, strides, offset)))
    return false;
  return type.getRank() > 0 && strides.back() == 1;
}

bool isMultiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || body.getOperations().size() != 3)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getRhs() == acc ? add.getLhs() : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : arith::MulFOp();
  if (!mul)
    return false;
  Value x = body.getArgument(0), y = body.getArgument(1);
  return (mul.getLhs() == x && mul.getRhs() == y) || (mul.getLhs() == y && mul.getRhs() == x);
}

namespace {

bool uses(AffineMap map, unsigned dim) {
  return llvm::any_of(map.getResults(), [&](AffineExpr e) { return e.isFunctionOfDim(dim); });
}

/// The panel size when `map` reads n only as (n floordiv P) and, last, (n mod P).
int64_t packedPanel(AffineMap map, unsigned n) {
  int64_t panel = 0;
  unsigned count = 0;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (!e.isFunctionOfDim(n))
      continue;
    ++count;
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    if (!bin || !isa<AffineDimExpr>(bin.getLHS()) ||
        cast<AffineDimExpr>(bin.getLHS()).getPosition() != n)
      return 0;
    auto size = dyn_cast<AffineConstantExpr>(bin.getRHS());
    if (!size || size.getValue() <= 0 || (panel && panel != size.getValue()))
      return 0;
    panel = size.getValue();
    bool last = i + 1 == map.getNumResults();
    if (!(bin.getKind() == AffineExprKind::FloorDiv && !last) &&
        !(bin.getKind() == AffineExprKind::Mod && last))
      return 0;
  }
  return count == 2 ? panel : 0;
}

} // namespace

std::optional<Contraction> matchContraction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !isMultiplyAccumulate(op))
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return std::nullopt;
  }
  Contraction c;
  c.op = op;
  c.ranges = op.getStaticLoopRanges();
  auto iterators = op.getIteratorTypesArray();
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);
  // The output is indexed by every parallel loop exactly once, by no reduction loop.
  unsigned parallel = llvm::count(iterators, utils::IteratorType::parallel);
  if (!outMap.isProjectedPermutation() || outMap.getNumResults() != parallel ||
      outMap.getNumResults() == 0 || parallel == iterators.size())
    return std::nullopt;
  for (AffineExpr e : outMap.getResults())
    if (iterators[cast<AffineDimExpr>(e).getPosition()] != utils::IteratorType::parallel)
      return std::nullopt;
  if (!hasUnitInnerStride(cast<MemRefType>(out->get().getType())))
    return std::nullopt;
  c.n = cast<AffineDimExpr>(outMap.getResults().back()).getPosition();

  AffineMap maps[2] = {op.getMatchingIndexingMap(op.getDpsInputOperand(0)),
                       op.getMatchingIndexingMap(op.getDpsInputOperand(1))};
  bool usesN[2] = {uses(maps[0], c.n), uses(maps[1], c.n)};
  if (usesN[0] == usesN[1])
    return std::nullopt;
  c.rhs = usesN[0] ? 0 : 1;
  c.lhs = 1 - c.rhs;
  AffineMap rhsMap = maps[c.rhs], lhsMap = maps[c.lhs];
  auto rhsType = cast<MemRefType>(op.getDpsInputOperand(c.rhs)->get().getType());

  c.panel = hasUnitInnerStride(rhsType) ? packedPanel(rhsMap, c.n) : 0;
  if (!c.panel) {
    // Read directly: n is the last index, unit stride, and appears nowhere else.
    auto last = dyn_cast<AffineDimExpr>(rhsMap.getResults().back());
    bool onlyLast = last && last.getPosition() == c.n &&
                    llvm::count_if(rhsMap.getResults(),
                                   [&](AffineExpr e) { return e.isFunctionOfDim(c.n); }) == 1;
    c.rhsContiguous = onlyLast && hasUnitInnerStride(rhsType);
    // Otherwise the kernel needs it packed: a plain permutation of loops.
    if (!c.rhsContiguous && !rhsMap.isProjectedPermutation())
      return std::nullopt;
  }

  // Register-block every parallel loop that lhs uses and rhs does not; the others loop outside.
  for (AffineExpr e : outMap.getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (d == c.n)
      continue;
    if (uses(lhsMap, d) && !uses(rhsMap, d))
      c.m.push_back(d);
    else
      c.outer.push_back(d);
  }
  SmallVector<unsigned> reductions;
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (iterators[d] == utils::IteratorType::reduction)
      reductions.push_back(d);
  if (!c.panel && !c.rhsContiguous) {
    // rhs is still to be packed, in any order: walk lhs with its smallest strides innermost
    // (channels, then kernel columns, then kernel rows of an NHWC convolution).
    auto lhsType = cast<MemRefType>(op.getDpsInputOperand(c.lhs)->get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (succeeded(getStridesAndOffset(lhsType, strides, offset))) {
      auto strideOf = [&](unsigned d) {
        // The coefficient of d in lhs's address: sum over results of stride * d's multiplier.
        // e(unit d) - e(0) for every result e, weighted by the result's stride.
        MLIRContext *ctx = op.getContext();
        SmallVector<AffineExpr> zero(lhsMap.getNumDims(), getAffineConstantExpr(0, ctx)),
            unit = zero;
        unit[d] = getAffineConstantExpr(1, ctx);
        int64_t total = 0;
        for (auto [i, e] : llvm::enumerate(lhsMap.getResults())) {
          auto at = [&](ArrayRef<AffineExpr> point) -> std::optional<int64_t> {
            auto k = dyn_cast<AffineConstantExpr>(
                simplifyAffineExpr(e.replaceDimsAndSymbols(point, {}), 0, 0));
            return k ? std::optional<int64_t>(k.getValue()) : std::nullopt;
          };
          std::optional<int64_t> hi = at(unit), lo = at(zero);
          if (hi && lo && !ShapedType::isDynamic(strides[i]))
            total += (*hi - *lo) * strides[i];
        }
        return std::abs(total);
      };
      llvm::stable_sort(reductions,
                        [&](unsigned a, unsigned b) { return strideOf(a) > strideOf(b); });
      c.reductions = reductions;
      return c;
    }
  }
  // Reductions in the order rhs is laid out (packing keeps that order), then any others.
  for (AffineExpr e : rhsMap.getResults())
    for (unsigned d : reductions)
      if (e.isFunctionOfDim(d) && !llvm::is_contained(c.reductions, d))
        c.reductions.push_back(d);
  for (unsigned d : reductions)
    if (!llvm::is_contained(c.reductions, d))
      c.reductions.push_back(d);
  return c;
}

} // namespace tessera::codegen
