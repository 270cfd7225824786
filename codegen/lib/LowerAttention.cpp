// Lowers the buffer form of tess.attention to loops: one parallel iteration per query row,
// streaming over blocks of keys with an online softmax (FlashAttention's recurrence with one
// query row per step). The output row is the accumulator; the only scratch memory is one
// block of scores on the stack, so no score matrix is ever stored.
#include "tessera/codegen/Passes.h"

#include "AttentionKernel.h"
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"

#include <limits>

namespace tessera {
#define GEN_PASS_DEF_LOWERATTENTION
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// Keys per block: 64 scores stay in L1 and give the exp loop a useful vector length.
constexpr int64_t kBlock = 64;

struct LowerAttentionPass : tessera::impl::LowerAttentionBase<LowerAttentionPass> {
  using LowerAttentionBase::LowerAttentionBase;
  LogicalResult initialize(MLIRContext *ctx) override {
    if (vectorWidth < 0 || (vectorWidth & (vectorWidth - 1)))
      return emitError(UnknownLoc::get(ctx), "vector-width must be 0 or a power of two");
    if (rows < 0 || rows > 16 || queryBlocks < 1 || queryBlocks > 16)
      return emitError(UnknownLoc::get(ctx), "rows must be in [0, 16], query-blocks in [1, 16]");
    if (vectorWidth &&
        (keyChunk < 4 * vectorWidth || keyChunk % (4 * vectorWidth) || keyChunk > 4096))
      return emitError(UnknownLoc::get(ctx),
                       "key-chunk must be a multiple of 4 x vector-width, at most 4096");
    return success();
  }

  void runOnOperation() override {
    SmallVector<tessera::tess::AttentionOp> ops;
    getOperation().walk([&](tessera::tess::AttentionOp op) {
      if (op.getResults().empty())
        ops.push_back(op);
    });
    tessera::codegen::AttentionKernelOptions options;
    options.lanes = vectorWidth;
    options.rows = rows ? int64_t(rows) : vectorWidth >= 16 ? 6 : 4;
    options.blocksPerTile = queryBlocks;
    options.keyChunk = keyChunk;
    unsigned vectorized = 0;
    for (auto op : ops) {
      if (vectorWidth >= 4 && tessera::codegen::emitVectorAttention(op, options))
        ++vectorized;
      else
        lower(op);
    }
    if (vectorized)
      tessera::reportStatistic(getArgument(), "attentions as register-blocked kernels", vectorized);
    numLowered += ops.size();
    if (ops.size() > vectorized)
      tessera::reportStatistic(getArgument(), "attentions lowered to scalar loops",
                               ops.size() - vectorized);
  }

  void lower(tessera::tess::AttentionOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto qType = cast<MemRefType>(op.getQ().getType());
    auto kType = cast<MemRefType>(op.getK().getType());
    auto vType = cast<MemRefType>(op.getV().getType());
    int64_t rank = qType.getRank(), batch = rank - 2;
    int64_t m = qType.getShape()[rank - 2], d = qType.getShape()[rank - 1];
    int64_t n = kType.getShape()[rank - 2], e = vType.getShape()[rank - 1];
    auto flags = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::reassoc |
                                                                   arith::FastMathFlags::contract);
    auto index = [&](int64_t v) { return Value(b.create<arith::ConstantIndexOp>(loc, v)); };
    auto fconst = [&](double v) {
      return Value(b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v))));
    };
    Value c0 = index(0), c1 = index(1), cN = index(n), cD = index(d), cE = index(e);
    Value cBlock = index(kBlock);
    // Scores of one block of keys; allocated once per kernel call, outside the row loop.
    Value scores = b.create<memref::AllocaOp>(loc, MemRefType::get({kBlock}, b.getF32Type()));
    Value zero = fconst(0.0), one = fconst(1.0), scale = fconst(op.getScale().convertToDouble());
    Value negInf = fconst(-std::numeric_limits<double>::infinity());
    Value out = op.getInit(), q = op.getQ(), k = op.getK(), v = op.getV();
    SmallVector<Value> biases(op.getBiases());
    bool causal = op.getCausal();

    SmallVector<Value> lbs(batch + 1, c0), steps(batch + 1, c1), ubs;
    for (int64_t i = 0; i < batch; ++i)
      ubs.push_back(index(qType.getShape()[i]));
    ubs.push_back(index(m));

    b.create<scf::ParallelOp>(loc, lbs, ubs, steps, [&](OpBuilder &pb, Location l, ValueRange ivs) {
      SmallVector<Value> row(ivs.begin(), ivs.end()); // b..., i
      Value i = ivs.back();
      auto at = [&](ValueRange prefix, Value last) {
        SmallVector<Value> idx(prefix.begin(), prefix.end());
        idx.push_back(last);
        return idx;
      };
      auto forEachE = [&](OpBuilder &ob, function_ref<void(OpBuilder &, Value)> body) {
        ob.create<scf::ForOp>(l, c0, cE, c1, ValueRange{},
                              [&](OpBuilder &fb, Location, Value ei, ValueRange) {
                                body(fb, ei);
                                fb.create<scf::YieldOp>(l);
                              });
      };
      forEachE(pb, [&](OpBuilder &fb, Value ei) {
        fb.create<memref::StoreOp>(l, zero, out, at(row, ei));
      });
      Value jEnd = cN;
      if (causal)
        jEnd = pb.create<arith::MinSIOp>(l, pb.create<arith::AddIOp>(l, i, c1), cN);
      SmallVector<Value> keyPrefix(ivs.drop_back().begin(), ivs.drop_back().end()); // b...
      auto keyIndex = [&](Value j, Value last) {
        SmallVector<Value> idx(keyPrefix);
        idx.push_back(j);
        idx.push_back(last);
        return idx;
      };
      // Blocks of kBlock keys: scores go to a small stack buffer, the running maximum is
      // updated (and the accumulated row rescaled) once per block, and the exp loop over the
      // block vectorizes.
      auto keys = pb.create<scf::ForOp>(
          l, c0, jEnd, cBlock, ValueRange{negInf, zero},
          [&](OpBuilder &jb, Location, Value j0, ValueRange carried) {
            Value mOld = carried[0], lOld = carried[1];
            Value count =
                jb.create<arith::MinSIOp>(l, cBlock, jb.create<arith::SubIOp>(l, jEnd, j0));
            auto scoresLoop = jb.create<scf::ForOp>(
                l, c0, count, c1, ValueRange{negInf},
                [&](OpBuilder &tb, Location, Value t, ValueRange mx) {
                  Value j = tb.create<arith::AddIOp>(l, j0, t);
                  auto dot = tb.create<scf::ForOp>(
                      l, c0, cD, c1, ValueRange{zero},
                      [&](OpBuilder &db, Location, Value di, ValueRange acc) {
                        Value qv = db.create<memref::LoadOp>(l, q, at(row, di));
                        Value kv = db.create<memref::LoadOp>(l, k, keyIndex(j, di));
                        Value prod = db.create<arith::MulFOp>(l, qv, kv, flags);
                        db.create<scf::YieldOp>(
                            l, ValueRange{db.create<arith::AddFOp>(l, acc[0], prod, flags)});
                      });
                  Value sv = tb.create<arith::MulFOp>(l, dot.getResult(0), scale);
                  for (Value bias : biases) {
                    auto bt = cast<MemRefType>(bias.getType());
                    SmallVector<Value> scoreIdx(ivs.begin(), ivs.end());
                    scoreIdx.push_back(j); // b..., i, j
                    SmallVector<Value> bidx;
                    int64_t lead = rank - bt.getRank();
                    for (int64_t x = 0; x < bt.getRank(); ++x)
                      bidx.push_back(bt.getShape()[x] == 1 ? c0 : scoreIdx[x + lead]);
                    sv = tb.create<arith::AddFOp>(l, sv, tb.create<memref::LoadOp>(l, bias, bidx));
                  }
                  tb.create<memref::StoreOp>(l, sv, scores, ValueRange{t});
                  tb.create<scf::YieldOp>(l,
                                          ValueRange{tb.create<arith::MaximumFOp>(l, mx[0], sv)});
                });
            Value blockMax = scoresLoop.getResult(0);
            // A new maximum rescales what has been accumulated so far by exp(m_old - m_new).
            Value greater = jb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, blockMax, mOld);
            auto rescale = jb.create<scf::IfOp>(
                l, greater,
                [&](OpBuilder &tb, Location) {
                  Value corr =
                      tb.create<math::ExpOp>(l, tb.create<arith::SubFOp>(l, mOld, blockMax));
                  forEachE(tb, [&](OpBuilder &fb, Value ei) {
                    Value o = fb.create<memref::LoadOp>(l, out, at(row, ei));
                    fb.create<memref::StoreOp>(l, fb.create<arith::MulFOp>(l, o, corr), out,
                                               at(row, ei));
                  });
                  tb.create<scf::YieldOp>(
                      l, ValueRange{blockMax, tb.create<arith::MulFOp>(l, lOld, corr)});
                },
                [&](OpBuilder &eb, Location) {
                  eb.create<scf::YieldOp>(l, ValueRange{mOld, lOld});
                });
            Value mNew = rescale.getResult(0), lNew = rescale.getResult(1);
            // p = exp(s - m) in place; a key masked to -inf contributes nothing.
            auto probs = jb.create<scf::ForOp>(
                l, c0, count, c1, ValueRange{zero},
                [&](OpBuilder &tb, Location, Value t, ValueRange sum) {
                  Value sv = tb.create<memref::LoadOp>(l, scores, ValueRange{t});
                  Value masked = tb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, sv, negInf);
                  Value p = tb.create<arith::SelectOp>(
                      l, masked, zero,
                      tb.create<math::ExpOp>(l, tb.create<arith::SubFOp>(l, sv, mNew)));
                  tb.create<memref::StoreOp>(l, p, scores, ValueRange{t});
                  tb.create<scf::YieldOp>(
                      l, ValueRange{tb.create<arith::AddFOp>(l, sum[0], p, flags)});
                });
            jb.create<scf::ForOp>(l, c0, count, c1, ValueRange{},
                                  [&](OpBuilder &tb, Location, Value t, ValueRange) {
                                    Value j = tb.create<arith::AddIOp>(l, j0, t);
                                    Value p = tb.create<memref::LoadOp>(l, scores, ValueRange{t});
                                    forEachE(tb, [&](OpBuilder &fb, Value ei) {
                                      Value o = fb.create<memref::LoadOp>(l, out, at(row, ei));
                                      Value vv = fb.create<memref::LoadOp>(l, v, keyIndex(j, ei));
                                      Value upd = fb.create<arith::AddFOp>(
                                          l, o, fb.create<arith::MulFOp>(l, p, vv, flags), flags);
                                      fb.create<memref::StoreOp>(l, upd, out, at(row, ei));
                                    });
                                    tb.create<scf::YieldOp>(l);
                                  });
            jb.create<scf::YieldOp>(
                l, ValueRange{mNew, jb.create<arith::AddFOp>(l, lNew, probs.getResult(0))});
          });
      Value inv = pb.create<arith::DivFOp>(l, one, keys.getResult(1));
      forEachE(pb, [&](OpBuilder &fb, Value ei) {
        Value o = fb.create<memref::LoadOp>(l, out, at(row, ei));
        fb.create<memref::StoreOp>(l, fb.create<arith::MulFOp>(l, o, inv), out, at(row, ei));
      });
    });
    op.erase();
  }
};

} // namespace
