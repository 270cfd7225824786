// The register-blocked attention kernel (FlashAttention-2 on a CPU): see AttentionKernel.h.
#include "AttentionKernel.h"

#include "tessera/ir/TessDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace tessera::codegen {

namespace {

bool strides(MemRefType type, SmallVectorImpl<int64_t> &out) {
  int64_t offset;
  if (!type.hasStaticShape() || failed(getStridesAndOffset(type, out, offset)))
    return false;
  return llvm::none_of(out, ShapedType::isDynamic);
}

struct Builder {
  OpBuilder &b;
  Location loc;
  VectorType vec;      // vector<lanes x f32>
  VectorType maskType; // vector<lanes x i1>
  arith::FastMathFlagsAttr contract;

  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value f(float v) { return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v)); }
  Value splat(float v) { return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(vec, v)); }
  Value add(Value a, Value c) { return b.create<arith::AddIOp>(loc, a, c); }
  Value mul(Value a, Value c) { return b.create<arith::MulIOp>(loc, a, c); }
  Value min(Value a, Value c) { return b.create<arith::MinSIOp>(loc, a, c); }
  Value fma(Value a, Value x, Value acc) {
    Value p = b.create<arith::MulFOp>(loc, a, x, contract);
    return b.create<arith::AddFOp>(loc, acc, p, contract);
  }
  /// Lanes [0, count) of a vector (count may exceed the lanes or be negative).
  Value mask(Value count) {
    Value lanes = idx(vec.getNumElements());
    Value c = b.create<arith::MaxSIOp>(loc, b.create<arith::MinSIOp>(loc, count, lanes), idx(0));
    return b.create<vector::CreateMaskOp>(loc, maskType, ValueRange{c});
  }
  Value load(Value buf, ValueRange at) { return b.create<vector::LoadOp>(loc, vec, buf, at); }
  Value loadMasked(Value buf, ValueRange at, Value m) {
    return b.create<vector::MaskedLoadOp>(loc, vec, buf, at, m, splat(0.0f));
  }
  void store(Value v, Value buf, ValueRange at) { b.create<vector::StoreOp>(loc, v, buf, at); }
};

SmallVector<Value> concat(ArrayRef<Value> a, ArrayRef<Value> c) {
  SmallVector<Value> r(a.begin(), a.end());
  r.append(c.begin(), c.end());
  return r;
}

} // namespace

bool emitVectorAttention(tess::AttentionOp op, const AttentionKernelOptions &options) {
  auto qType = cast<MemRefType>(op.getQ().getType());
  auto kType = cast<MemRefType>(op.getK().getType());
  auto vType = cast<MemRefType>(op.getV().getType());
  auto oType = cast<MemRefType>(op.getInit().getType());
  int64_t rank = qType.getRank(), batchRank = rank - 2;
  SmallVector<int64_t> qs, ks, vs, os;
  if (!strides(qType, qs) || !strides(kType, ks) || !strides(vType, vs) || !strides(oType, os) ||
      !qType.getElementType().isF32())
    return false;
  // q rows, v rows and output rows contiguous; keys contiguous along the key index (k is a
  // transposed view of a [.., D, N] buffer: see tessera-transpose-attention-keys).
  if (qs.back() != 1 || vs.back() != 1 || os.back() != 1 || ks[rank - 2] != 1)
    return false;
  int64_t m = qType.getShape()[rank - 2], d = qType.getShape()[rank - 1];
  int64_t n = kType.getShape()[rank - 2], e = vType.getShape()[rank - 1];
  const int64_t lanes = options.lanes, rows = options.rows;
  // Biases: read as vectors along the keys (unit stride), or one value per query row.
  struct Bias {
    Value buffer;
    bool alongKeys;
  };
  SmallVector<Bias> biases;
  for (Value bias : op.getBiases()) {
    auto bt = cast<MemRefType>(bias.getType());
    SmallVector<int64_t> bs;
    if (!strides(bt, bs))
      return false;
    bool usesKeys = bt.getRank() >= 1 && bt.getShape().back() != 1;
    if (usesKeys && (bs.back() != 1 || bt.getShape().back() != n))
      return false;
    biases.push_back({bias, usesKeys});
  }

  OpBuilder ob(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = ob.getContext();
  Builder B{ob, loc, VectorType::get({lanes}, ob.getF32Type()),
            VectorType::get({lanes}, ob.getI1Type()),
            arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract)};
  OpBuilder &b = ob;
  const int64_t tileRows = rows * options.blocksPerTile;
  const int64_t chunk = options.keyChunk; // multiple of 4 * lanes
  const int64_t scoreGroup = 4;           // vectors of keys per register block of scores
  // Rows per register block of scores: rows x 4 accumulators plus 4 key vectors and the
  // query broadcasts LLVM hoists must fit the registers (6 rows spilled two accumulators).
  const int64_t scoreRows = tileRows % 4 == 0 && lanes >= 16 ? 4 : rows;
  int64_t tiles = (m + tileRows - 1) / tileRows;
  int64_t tasks = tiles;
  for (int64_t i = 0; i < batchRank; ++i)
    tasks *= qType.getShape()[i];
  Value q = op.getQ(), v = op.getV(), out = op.getInit();
  bool causal = op.getCausal();
  float scale = float(op.getScale().convertToDouble());
  const float negInf = -std::numeric_limits<float>::infinity();

  // Scratch per task on the stack: one chunk of scores (then probabilities) per tile row,
  // and each row's running maximum and sum.
  Value scores = b.create<memref::AllocaOp>(loc, MemRefType::get({tileRows, chunk}, b.getF32Type()),
                                            b.getI64IntegerAttr(64));
  // The keys as [.., D, N]: unit stride along the keys, the innermost dimension.
  SmallVector<AffineExpr> swap;
  for (int64_t i = 0; i < rank; ++i)
    swap.push_back(getAffineDimExpr(i == rank - 2 ? rank - 1 : i == rank - 1 ? rank - 2 : i, ctx));
  Value kt = b.create<memref::TransposeOp>(loc, op.getK(),
                                           AffineMapAttr::get(AffineMap::get(rank, 0, swap, ctx)));
  Value rowMax = b.create<memref::AllocaOp>(loc, MemRefType::get({tileRows}, b.getF32Type()));
  Value rowSum = b.create<memref::AllocaOp>(loc, MemRefType::get({tileRows}, b.getF32Type()));

  auto loop = b.create<scf::ParallelOp>(loc, ValueRange{B.idx(0)}, ValueRange{B.idx(tasks)},
                                        ValueRange{B.idx(1)});
  b.setInsertionPointToStart(loop.getBody());
  // task = (batch..., tile), the tile fastest.
  Value task = loop.getInductionVars()[0];
  SmallVector<Value> batch(batchRank);
  Value tile = b.create<arith::RemUIOp>(loc, task, B.idx(tiles));
  Value rest = b.create<arith::DivUIOp>(loc, task, B.idx(tiles));
  for (int64_t i = batchRank; i-- > 0;) {
    int64_t extent = qType.getShape()[i];
    batch[i] = i ? b.create<arith::RemUIOp>(loc, rest, B.idx(extent)).getResult() : rest;
    if (i)
      rest = b.create<arith::DivUIOp>(loc, rest, B.idx(extent));
  }
  Value r0 = B.mul(tile, B.idx(tileRows));
  // The rows of the tile; rows past the end read the last row (their results are dropped).
  SmallVector<Value> rowIndex(tileRows), rowValid(tileRows);
  for (int64_t i = 0; i < tileRows; ++i) {
    Value r = B.add(r0, B.idx(i));
    rowValid[i] = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, r, B.idx(m));
    rowIndex[i] = B.min(r, B.idx(m - 1));
  }
  int64_t eVectors = (e + lanes - 1) / lanes;
  auto eMask = [&](int64_t ev) { return B.mask(B.idx(e - ev * lanes)); };
  auto loadE = [&](Value buf, ValueRange at, int64_t ev) {
    return e % lanes == 0 || ev + 1 < eVectors ? B.load(buf, at) : B.loadMasked(buf, at, eMask(ev));
  };
  auto storeE = [&](Value val, Value buf, ValueRange at, int64_t ev) {
    if (e % lanes == 0 || ev + 1 < eVectors)
      B.store(val, buf, at);
    else
      b.create<vector::MaskedStoreOp>(loc, buf, at, eMask(ev), val);
  };
  auto ifValid = [&](int64_t i, function_ref<void()> body) {
    auto guard = b.create<scf::IfOp>(loc, rowValid[i], /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(guard.thenBlock());
    body();
  };
  // Initial state: output rows 0, maximum -inf, sum 0.
  for (int64_t i = 0; i < tileRows; ++i) {
    b.create<memref::StoreOp>(loc, B.f(negInf), rowMax, ValueRange{B.idx(i)});
    b.create<memref::StoreOp>(loc, B.f(0.0f), rowSum, ValueRange{B.idx(i)});
    ifValid(i, [&] {
      for (int64_t ev = 0; ev < eVectors; ++ev)
        storeE(B.splat(0.0f), out, concat(batch, {rowIndex[i], B.idx(ev * lanes)}), ev);
    });
  }
  // Keys this tile sees: all, or (causal) up to its last row.
  Value keyEnd = B.idx(n);
  if (causal)
    keyEnd = B.min(B.idx(n), B.add(r0, B.idx(tileRows)));

  auto chunks = b.create<scf::ForOp>(loc, B.idx(0), keyEnd, B.idx(chunk));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(chunks.getBody());
    Value c0 = chunks.getInductionVar();
    Value count = B.min(B.idx(chunk), b.create<arith::SubIOp>(loc, keyEnd, c0));
    // Vectors of scores in this chunk, in groups of scoreGroup.
    Value groups = b.create<arith::CeilDivUIOp>(loc, count, B.idx(scoreGroup * lanes));

    // 1. scores = scale * q k^T (+ biases), -inf past the chunk and above the diagonal.
    // One register block: rows [rb, rb + scoreRows) against the group of keys at j0.
    auto scoreBlock = [&](int64_t rb, Value j0, ArrayRef<Value> masks) {
      SmallVector<Value> init(scoreRows * scoreGroup, B.splat(0.0f));
      auto dl = b.create<scf::ForOp>(loc, B.idx(0), B.idx(d), B.idx(1), init);
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(dl.getBody());
        Value di = dl.getInductionVar();
        SmallVector<Value> kv;
        for (int64_t s = 0; s < scoreGroup; ++s) {
          // k[b.., key, d] with unit stride along the keys.
          Value key = B.add(c0, B.add(j0, B.idx(s * lanes)));
          kv.push_back(B.loadMasked(kt, concat(batch, {di, key}), masks[s]));
        }
        SmallVector<Value> acc(dl.getRegionIterArgs().begin(), dl.getRegionIterArgs().end());
        for (int64_t i = 0; i < scoreRows; ++i) {
          Value qv = b.create<memref::LoadOp>(loc, q, concat(batch, {rowIndex[rb + i], di}));
          Value splat = b.create<vector::BroadcastOp>(loc, B.vec, qv);
          for (int64_t s = 0; s < scoreGroup; ++s)
            acc[i * scoreGroup + s] = B.fma(splat, kv[s], acc[i * scoreGroup + s]);
        }
        b.create<scf::YieldOp>(loc, acc);
      }
      Value keyLanes;
      if (causal) {
        SmallVector<int64_t> iota(lanes);
        for (int64_t l = 0; l < lanes; ++l)
          iota[l] = l;
        keyLanes = b.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(VectorType::get({lanes}, b.getIndexType()),
                                        ArrayRef<int64_t>(iota)));
      }
      for (int64_t i = 0; i < scoreRows; ++i)
        for (int64_t s = 0; s < scoreGroup; ++s) {
          Value col = B.add(j0, B.idx(s * lanes));
          Value key = B.add(c0, col);
          Value sv = b.create<arith::MulFOp>(loc, dl.getResult(i * scoreGroup + s), B.splat(scale));
          for (const Bias &bias : biases) {
            auto bt = cast<MemRefType>(bias.buffer.getType());
            // Broadcast numpy-style against the scores [b.., i, j].
            SmallVector<Value> full = concat(batch, {rowIndex[rb + i], key});
            SmallVector<Value> at;
            int64_t lead = rank - bt.getRank();
            for (int64_t x = 0; x < bt.getRank(); ++x)
              at.push_back(bt.getShape()[x] == 1 ? B.idx(0) : full[x + lead]);
            Value bv;
            if (bias.alongKeys) {
              bv = B.loadMasked(bias.buffer, at, masks[s]);
            } else {
              at.back() = B.idx(0);
              bv = b.create<vector::BroadcastOp>(loc, B.vec,
                                                 b.create<memref::LoadOp>(loc, bias.buffer, at));
            }
            sv = b.create<arith::AddFOp>(loc, sv, bv);
          }
          Value keep = masks[s];
          if (causal) {
            // key j <= row i
            Value keys =
                b.create<vector::BroadcastOp>(loc, VectorType::get({lanes}, b.getIndexType()), key);
            keys = b.create<arith::AddIOp>(loc, keys, keyLanes);
            Value row = b.create<vector::BroadcastOp>(
                loc, VectorType::get({lanes}, b.getIndexType()), B.add(r0, B.idx(rb + i)));
            Value below = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, keys, row);
            keep = b.create<arith::AndIOp>(loc, keep, below);
          }
          sv = b.create<arith::SelectOp>(loc, keep, sv, B.splat(negInf));
          B.store(sv, scores, ValueRange{B.idx(rb + i), col});
        }
    };
    auto groupKeys = [&](OpBuilder &, Value g, SmallVector<Value> &masks) {
      Value j0 = B.mul(g, B.idx(scoreGroup * lanes)); // within the chunk
      for (int64_t s = 0; s < scoreGroup; ++s)
        masks.push_back(B.mask(b.create<arith::SubIOp>(loc, count, B.add(j0, B.idx(s * lanes)))));
      return j0;
    };
    // When the chunk's keys (D x chunk) outgrow L1, walk the groups of keys outermost so that
    // one group (D x 4 vectors) stays in L1 for every row block; else each row block walks
    // the groups (its queries stay in registers' reach).
    if (d * chunk * 4 > 64 * 1024) {
      auto gl = b.create<scf::ForOp>(loc, B.idx(0), groups, B.idx(1));
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(gl.getBody());
      SmallVector<Value> masks;
      Value j0 = groupKeys(b, gl.getInductionVar(), masks);
      for (int64_t rb = 0; rb < tileRows; rb += scoreRows)
        scoreBlock(rb, j0, masks);
    } else {
      for (int64_t rb = 0; rb < tileRows; rb += scoreRows) {
        auto gl = b.create<scf::ForOp>(loc, B.idx(0), groups, B.idx(1));
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(gl.getBody());
        SmallVector<Value> masks;
        Value j0 = groupKeys(b, gl.getInductionVar(), masks);
        scoreBlock(rb, j0, masks);
      }
    }

    // 2. Online softmax per row: new maximum, rescale what was accumulated, p = exp(s - m).
    Value vecs = b.create<arith::CeilDivUIOp>(loc, count, B.idx(lanes));
    for (int64_t i = 0; i < tileRows; ++i) {
      Value ri = B.idx(i);
      auto mx = b.create<scf::ForOp>(loc, B.idx(0), vecs, B.idx(1), ValueRange{B.splat(negInf)});
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(mx.getBody());
        Value s = B.load(scores, ValueRange{ri, B.mul(mx.getInductionVar(), B.idx(lanes))});
        b.create<scf::YieldOp>(
            loc, ValueRange{b.create<arith::MaximumFOp>(loc, mx.getRegionIterArgs()[0], s)});
      }
      Value chunkMax =
          b.create<vector::ReductionOp>(loc, vector::CombiningKind::MAXIMUMF, mx.getResult(0));
      Value mOld = b.create<memref::LoadOp>(loc, rowMax, ValueRange{ri});
      Value mNew = b.create<arith::MaximumFOp>(loc, mOld, chunkMax);
      // Rows with every key masked so far keep m = -inf: subtract 0 instead (p = 0, corr = 1).
      Value isInf = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mNew, B.f(negInf));
      Value mSafe = b.create<arith::SelectOp>(loc, isInf, B.f(0.0f), mNew);
      Value corr = b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, mOld, mSafe));
      auto sum = b.create<scf::ForOp>(loc, B.idx(0), vecs, B.idx(1), ValueRange{B.splat(0.0f)});
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(sum.getBody());
        Value at = B.mul(sum.getInductionVar(), B.idx(lanes));
        Value s = B.load(scores, ValueRange{ri, at});
        Value mv = b.create<vector::BroadcastOp>(loc, B.vec, mSafe);
        Value p = b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, s, mv));
        B.store(p, scores, ValueRange{ri, at});
        b.create<scf::YieldOp>(
            loc, ValueRange{b.create<arith::AddFOp>(loc, sum.getRegionIterArgs()[0], p)});
      }
      Value chunkSum =
          b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, sum.getResult(0));
      Value lOld = b.create<memref::LoadOp>(loc, rowSum, ValueRange{ri});
      b.create<memref::StoreOp>(
          loc, b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, lOld, corr), chunkSum),
          rowSum, ValueRange{ri});
      b.create<memref::StoreOp>(loc, mNew, rowMax, ValueRange{ri});
      ifValid(i, [&] {
        Value cv = b.create<vector::BroadcastOp>(loc, B.vec, corr);
        for (int64_t ev = 0; ev < eVectors; ++ev) {
          SmallVector<Value> at = concat(batch, {rowIndex[i], B.idx(ev * lanes)});
          storeE(b.create<arith::MulFOp>(loc, loadE(out, at, ev), cv), out, at, ev);
        }
      });
    }

    // 3. out += p v, register-blocked over rows x up to 4 vectors of e at a time (wider
    // output rows, e.g. 256 values, take several passes over p: the accumulators must fit).
    const int64_t eGroup = 4;
    for (int64_t rb = 0; rb < tileRows; rb += rows)
      for (int64_t e0 = 0; e0 < eVectors; e0 += eGroup) {
        int64_t ne = std::min(eGroup, eVectors - e0);
        SmallVector<Value> init;
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t ev = e0; ev < e0 + ne; ++ev)
            init.push_back(loadE(out, concat(batch, {rowIndex[rb + i], B.idx(ev * lanes)}), ev));
        auto jl = b.create<scf::ForOp>(loc, B.idx(0), count, B.idx(1), init);
        {
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPointToStart(jl.getBody());
          Value j = jl.getInductionVar();
          Value key = B.add(c0, j);
          SmallVector<Value> vv;
          for (int64_t ev = e0; ev < e0 + ne; ++ev)
            vv.push_back(loadE(v, concat(batch, {key, B.idx(ev * lanes)}), ev));
          SmallVector<Value> acc(jl.getRegionIterArgs().begin(), jl.getRegionIterArgs().end());
          for (int64_t i = 0; i < rows; ++i) {
            Value p = b.create<memref::LoadOp>(loc, scores, ValueRange{B.idx(rb + i), j});
            Value splat = b.create<vector::BroadcastOp>(loc, B.vec, p);
            for (int64_t x = 0; x < ne; ++x)
              acc[i * ne + x] = B.fma(splat, vv[x], acc[i * ne + x]);
          }
          b.create<scf::YieldOp>(loc, acc);
        }
        for (int64_t i = 0; i < rows; ++i)
          ifValid(rb + i, [&] {
            for (int64_t x = 0; x < ne; ++x)
              storeE(jl.getResult(i * ne + x), out,
                     concat(batch, {rowIndex[rb + i], B.idx((e0 + x) * lanes)}), e0 + x);
          });
      }
  }

  // out /= sum.
  for (int64_t i = 0; i < tileRows; ++i)
    ifValid(i, [&] {
      Value l = b.create<memref::LoadOp>(loc, rowSum, ValueRange{B.idx(i)});
      Value inv =
          b.create<vector::BroadcastOp>(loc, B.vec, b.create<arith::DivFOp>(loc, B.f(1.0f), l));
      for (int64_t ev = 0; ev < eVectors; ++ev) {
        SmallVector<Value> at = concat(batch, {rowIndex[i], B.idx(ev * lanes)});
        storeE(b.create<arith::MulFOp>(loc, loadE(out, at, ev), inv), out, at, ev);
      }
    });
  op.erase();
  return true;
}

} // namespace tessera::codegen
