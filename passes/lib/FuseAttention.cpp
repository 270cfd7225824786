// fuse-attention: the attention chains of the models (multi-head reshapes happen outside the
// chain, so they need no special case) become one tess.attention.
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

namespace tessera {
#define GEN_PASS_DEF_FUSEATTENTION
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using namespace tessera;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The value of a splat f32 constant.
std::optional<double> splatConstant(Value v) {
  std::optional<Attribute> splat = tess::getSplatConstant(v);
  auto f = splat ? dyn_cast<FloatAttr>(*splat) : FloatAttr();
  if (!f || !f.getType().isF32())
    return std::nullopt;
  return f.getValueAsDouble();
}

/// What the scores are made of: s = scale * (q . k^T) + sum(biases) [+ causal mask].
struct ScoreChain {
  tess::MatmulOp qk;
  double scale = 1.0;
  SmallVector<Value> biases;
  bool causal = false;
  SmallVector<Operation *> ops; // the chain's ops, erased after fusion
};

/// An iota along `axis` of a rank-`rank` tensor (through casts), as i or j of the scores.
bool isIotaAlong(Value v, int64_t axisFromEnd) {
  while (auto c = v.getDefiningOp<tess::CastOp>())
    v = c.getInput();
  auto iota = v.getDefiningOp<tess::IotaOp>();
  return iota && int64_t(iota.getAxis()) == iota.getType().getRank() - 1 - axisFromEnd;
}

/// `j <= i` or `i >= j` with i, j iotas over the score rows and columns.
bool isCausalCondition(Value cond) {
  auto cmp = cond.getDefiningOp<tess::CompareOp>();
  if (!cmp)
    return false;
  StringRef p = cmp.getPredicate();
  if (p == "le")
    return isIotaAlong(cmp.getLhs(), 0) && isIotaAlong(cmp.getRhs(), 1);
  if (p == "ge")
    return isIotaAlong(cmp.getLhs(), 1) && isIotaAlong(cmp.getRhs(), 0);
  return false;
}

/// Peels scale, biases and masks off `s` down to the q . k^T matmul. Biases are collected as
/// (value, sign, multiplier) and materialized by the caller once the match succeeds.
struct PendingBias {
  Value value;
  double factor;
};

bool decompose(Value s, ScoreChain &chain, SmallVector<PendingBias> &biases, double factor) {
  Operation *def = s.getDefiningOp();
  if (!def || !s.hasOneUse())
    return false;
  if (auto mm = dyn_cast<tess::MatmulOp>(def)) {
    if (!mm.getTransposeRhs() || mm.getTransposeLhs() || chain.qk)
      return false;
    chain.qk = mm;
    chain.scale = factor;
    chain.ops.push_back(def);
    return true;
  }
  auto tryBinary = [&](Value score, Value other, double scoreFactor, double otherFactor) {
    size_t mark = biases.size();
    ScoreChain saved = chain;
    if (decompose(score, chain, biases, scoreFactor)) {
      biases.push_back({other, otherFactor});
      return true;
    }
    biases.resize(mark);
    chain = saved;
    return false;
  };
  if (auto mul = dyn_cast<tess::MulOp>(def)) {
    for (auto [x, c] :
         {std::pair{mul.getLhs(), mul.getRhs()}, std::pair{mul.getRhs(), mul.getLhs()}})
      if (std::optional<double> k = splatConstant(c)) {
        chain.ops.push_back(def);
        if (decompose(x, chain, biases, factor * *k))
          return true;
        chain.ops.pop_back();
      }
    return false;
  }
  if (auto div = dyn_cast<tess::DivOp>(def)) {
    std::optional<double> k = splatConstant(div.getRhs());
    if (!k || *k == 0)
      return false;
    chain.ops.push_back(def);
    if (decompose(div.getLhs(), chain, biases, factor / *k))
      return true;
    chain.ops.pop_back();
    return false;
  }
  if (auto add = dyn_cast<tess::AddOp>(def)) {
    chain.ops.push_back(def);
    if (tryBinary(add.getLhs(), add.getRhs(), factor, factor) ||
        tryBinary(add.getRhs(), add.getLhs(), factor, factor))
      return true;
    chain.ops.pop_back();
    return false;
  }
  if (auto sub = dyn_cast<tess::SubOp>(def)) {
    chain.ops.push_back(def);
    if (tryBinary(sub.getLhs(), sub.getRhs(), factor, -factor) ||
        tryBinary(sub.getRhs(), sub.getLhs(), -factor, factor))
      return true;
    chain.ops.pop_back();
    return false;
  }
  if (auto sel = dyn_cast<tess::SelectOp>(def)) {
    // where(j <= i, s, very negative): the causal mask.
    std::optional<double> fill = splatConstant(sel.getOnFalse());
    if (chain.causal || !fill || *fill > -1e30 || !isCausalCondition(sel.getCondition()))
      return false;
    chain.ops.push_back(def);
    chain.causal = true;
    if (decompose(sel.getOnTrue(), chain, biases, factor))
      return true;
    chain.causal = false;
    chain.ops.pop_back();
    return false;
  }
  return false;
}

struct FuseAttentionPass : tessera::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<tess::MatmulOp> candidates;
    getOperation().walk([&](tess::MatmulOp op) { candidates.push_back(op); });
    unsigned fused = 0;
    for (tess::MatmulOp pv : candidates)
      fused += succeeded(fuse(pv));
    numFused += fused;
    tessera::reportStatistic(getArgument(), "attentions fused", fused);
  }

  LogicalResult fuse(tess::MatmulOp pv) {
    if (pv.getTransposeLhs() || pv.getTransposeRhs())
      return failure();
    auto softmax = pv.getLhs().getDefiningOp<tess::SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse() ||
        int64_t(softmax.getAxis()) != softmax.getType().getRank() - 1)
      return failure();
    ScoreChain chain;
    SmallVector<PendingBias> pending;
    if (!decompose(softmax.getInput(), chain, pending, 1.0))
      return failure();
    Value q = chain.qk.getLhs(), k = chain.qk.getRhs(), v = pv.getRhs();
    // q, k, v must share batch dimensions exactly (multi-head layouts already do).
    auto rq = typeOf(q), rk = typeOf(k), rv = typeOf(v);
    if (rq.getRank() != rk.getRank() || rq.getRank() != rv.getRank() ||
        rq.getShape().drop_back(2) != rk.getShape().drop_back(2) ||
        rq.getShape().drop_back(2) != rv.getShape().drop_back(2))
      return failure();
    if (typeOf(softmax.getResult()).getShape() != typeOf(chain.qk.getResult()).getShape())
      return failure(); // a bias broadcast the scores to a larger shape
    OpBuilder b(pv);
    Location loc = pv.getLoc();
    SmallVector<Value> biases;
    for (const PendingBias &p : pending) {
      Value bias = p.value;
      if (p.factor != 1.0) {
        auto type = RankedTensorType::get({}, b.getF32Type());
        Value c = b.create<tess::ConstantOp>(
            loc, DenseElementsAttr::get(type, b.getF32FloatAttr(float(p.factor)).getValue()));
        bias = b.create<tess::MulOp>(loc, bias, c);
      }
      biases.push_back(bias);
    }
    auto outType = typeOf(pv.getResult());
    Value init = b.create<tensor::EmptyOp>(loc, outType.getShape(), outType.getElementType());
    auto attention =
        b.create<tess::AttentionOp>(loc, TypeRange{outType}, q, k, v, biases, init,
                                    b.getF64FloatAttr(chain.scale), b.getBoolAttr(chain.causal));
    pv.getResult().replaceAllUsesWith(attention.getResult(0));
    pv.erase();
    softmax.erase();
    // Erase the chain from the top (its last op) down to the q . k^T matmul.
    for (Operation *op : chain.ops)
      if (op->use_empty())
        op->erase();
    return success();
  }
};

} // namespace
