// Lowers the buffer form of tess.attention to loops: one parallel iteration per query row,
// streaming over the keys with an online softmax (FlashAttention's recurrence with one query
// and one key per step). The output row is the accumulator, so the kernel needs no scratch
// memory and never stores a score.
#include "tessera/codegen/Passes.h"
#include "tessera/passes/PassReport.h"
#include "tessera/ir/TessDialect.h"

#include <limits>

namespace tessera {
#define GEN_PASS_DEF_LOWERATTENTION
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

struct LowerAttentionPass : tessera::impl::LowerAttentionBase<LowerAttentionPass> {
  void runOnOperation() override {
    SmallVector<tessera::tess::AttentionOp> ops;
    getOperation().walk([&](tessera::tess::AttentionOp op) {
      if (op.getResults().empty())
        ops.push_back(op);
    });
    for (auto op : ops) {
      lower(op);
      ++numLowered;
      tessera::reportStatistic(getArgument(), "attentions lowered to loops", 1);
    }
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
    Type f32 = b.getF32Type();
    auto flags = arith::FastMathFlagsAttr::get(
        b.getContext(), arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
    auto index = [&](int64_t v) { return Value(b.create<arith::ConstantIndexOp>(loc, v)); };
    auto fconst = [&](double v) {
      return Value(b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v))));
    };
    Value c0 = index(0), c1 = index(1), cN = index(n), cD = index(d), cE = index(e);
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
      auto keys = pb.create<scf::ForOp>(
          l, c0, jEnd, c1, ValueRange{negInf, zero},
          [&](OpBuilder &jb, Location, Value j, ValueRange carried) {
            Value mOld = carried[0], lOld = carried[1];
            SmallVector<Value> keyRow(ivs.drop_back().begin(), ivs.drop_back().end());
            keyRow.push_back(j); // b..., j
            auto dot = jb.create<scf::ForOp>(
                l, c0, cD, c1, ValueRange{zero},
                [&](OpBuilder &db, Location, Value di, ValueRange acc) {
                  Value qv = db.create<memref::LoadOp>(l, q, at(row, di));
                  Value kv = db.create<memref::LoadOp>(l, k, at(keyRow, di));
                  Value p = db.create<arith::MulFOp>(l, qv, kv, flags);
                  db.create<scf::YieldOp>(l, ValueRange{db.create<arith::AddFOp>(l, acc[0], p, flags)});
                });
            Value s = jb.create<arith::MulFOp>(l, dot.getResult(0), scale);
            for (Value bias : biases) {
              auto bt = cast<MemRefType>(bias.getType());
              SmallVector<Value> scoreIdx(ivs.begin(), ivs.end());
              scoreIdx.push_back(j); // b..., i, j
              SmallVector<Value> bidx;
              int64_t lead = rank - bt.getRank();
              for (int64_t t = 0; t < bt.getRank(); ++t)
                bidx.push_back(bt.getShape()[t] == 1 ? c0 : scoreIdx[t + lead]);
              s = jb.create<arith::AddFOp>(l, s, jb.create<memref::LoadOp>(l, bias, bidx));
            }
            // A new maximum rescales what has been accumulated so far by exp(m_old - s).
            Value greater = jb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, s, mOld);
            auto rescale = jb.create<scf::IfOp>(
                l, greater,
                [&](OpBuilder &tb, Location) {
                  Value corr = tb.create<math::ExpOp>(l, tb.create<arith::SubFOp>(l, mOld, s));
                  forEachE(tb, [&](OpBuilder &fb, Value ei) {
                    Value o = fb.create<memref::LoadOp>(l, out, at(row, ei));
                    fb.create<memref::StoreOp>(l, fb.create<arith::MulFOp>(l, o, corr), out,
                                               at(row, ei));
                  });
                  tb.create<scf::YieldOp>(l, ValueRange{s, tb.create<arith::MulFOp>(l, lOld, corr)});
                },
                [&](OpBuilder &eb, Location) { eb.create<scf::YieldOp>(l, ValueRange{mOld, lOld}); });
            Value mNew = rescale.getResult(0), lNew = rescale.getResult(1);
            // exp(s - m); a key masked to -inf contributes nothing (and avoids -inf - -inf).
            Value masked = jb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, s, negInf);
            Value p = jb.create<arith::SelectOp>(
                l, masked, zero, jb.create<math::ExpOp>(l, jb.create<arith::SubFOp>(l, s, mNew)));
            forEachE(jb, [&](OpBuilder &fb, Value ei) {
              Value o = fb.create<memref::LoadOp>(l, out, at(row, ei));
              Value vv = fb.create<memref::LoadOp>(l, v, at(keyRow, ei));
              Value upd = fb.create<arith::AddFOp>(l, o, fb.create<arith::MulFOp>(l, p, vv, flags), flags);
              fb.create<memref::StoreOp>(l, upd, out, at(row, ei));
            });
            jb.create<scf::YieldOp>(l, ValueRange{mNew, jb.create<arith::AddFOp>(l, lNew, p)});
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
