// Lowers buffer-form tess.attention to a FlashAttention-style GPU kernel (a gpu.launch that
// tessera-outline-gpu-kernels turns into a kernel as it is): one block per (batch·head, tile
// of query rows), one query row per thread with its scaled query and its output accumulator
// in registers, the keys and values staged tile by tile in shared memory by all threads of
// the block (along whichever dimension is contiguous, so the loads coalesce), and
// FlashAttention-2's online softmax applied per group of keys so the rescaling of the accumulator
// is paid once per group. Causal tiles stop at the tile's last query row. Memory beyond the
// operands is the two shared tiles, whatever the sequence length.
//
// The kernel is written so that sequential threads between barriers are a valid schedule
// (tessera-emulate-gpu-kernels relies on it): barriers sit only in loops whose bounds are the
// same for every thread of the block, and what a thread keeps across a barrier lives in its
// private attributions, never in SSA values.
#include "tessera/codegen/Passes.h"

#include "GpuKernelBuilders.h"

#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"

#include <limits>
#include <numeric>

namespace tessera {
#define GEN_PASS_DEF_GPUATTENTION
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// Keys whose scores one thread holds in registers at a time; the accumulator is rescaled
/// once per group.
constexpr int64_t kGroup = 8;
/// Bytes of the two shared tiles together (the static limit is 48 KiB per block).
constexpr int64_t kSharedBudget = 32 * 1024;
/// Feature sizes above this would not fit a thread's registers (query + accumulator).
constexpr int64_t kMaxFeatures = 256;

struct GpuAttentionPass : tessera::impl::GpuAttentionBase<GpuAttentionPass> {
  using GpuAttentionBase::GpuAttentionBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (rows < 32 || rows > 256 || rows % 32)
      return emitError(UnknownLoc::get(ctx), "rows must be a multiple of 32 in [32, 256]");
    if (maxBlocks < 1)
      return emitError(UnknownLoc::get(ctx), "max-blocks must be at least 1");
    if (keyTile < 0 || keyTile % kGroup || keyTile > 256)
      return emitError(UnknownLoc::get(ctx),
                       "key-tile must be 0 (chosen from the feature sizes) or a multiple of 8 "
                       "up to 256");
    return success();
  }

  void runOnOperation() override {
    SmallVector<tessera::tess::AttentionOp> ops;
    getOperation().walk([&](tessera::tess::AttentionOp op) {
      if (op.getResults().empty() && eligible(op))
        ops.push_back(op);
    });
    for (auto op : ops)
      lower(op);
    numLowered += ops.size();
    if (!ops.empty())
      tessera::reportStatistic(getArgument(), "attentions as GPU tile kernels", ops.size());
  }

  /// Static f32 operands with feature sizes a thread's registers can hold; the rest stays for
  /// tessera-lower-attention's one-thread-per-row loops.
  static bool eligible(tessera::tess::AttentionOp op) {
    SmallVector<Value> operands{op.getQ(), op.getK(), op.getV(), op.getInit()};
    llvm::append_range(operands, op.getBiases());
    for (Value v : operands) {
      auto t = dyn_cast<MemRefType>(v.getType());
      if (!t || !t.hasStaticShape() || !t.getElementType().isF32())
        return false;
    }
    auto q = cast<MemRefType>(op.getQ().getType());
    auto v = cast<MemRefType>(op.getV().getType());
    int64_t d = q.getShape().back(), e = v.getShape().back();
    return q.getRank() >= 2 && d >= 1 && e >= 1 && d <= kMaxFeatures && e <= kMaxFeatures;
  }

  int64_t keysPerTile(int64_t d, int64_t e) const {
    if (keyTile)
      return keyTile;
    int64_t fit = kSharedBudget / (4 * (d + e)) / kGroup * kGroup;
    return std::clamp<int64_t>(fit, kGroup, 64);
  }

  void lower(tessera::tess::AttentionOp op) {
    MLIRContext *ctx = op.getContext();
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto qType = cast<MemRefType>(op.getQ().getType());
    auto kType = cast<MemRefType>(op.getK().getType());
    auto vType = cast<MemRefType>(op.getV().getType());
    int64_t rank = qType.getRank(), batchRank = rank - 2;
    int64_t m = qType.getShape()[rank - 2], d = qType.getShape()[rank - 1];
    int64_t n = kType.getShape()[rank - 2], e = vType.getShape()[rank - 1];
    int64_t threads = rows, tile = keysPerTile(d, e);
    int64_t batches = 1;
    for (int64_t x = 0; x < batchRank; ++x)
      batches *= qType.getShape()[x];
    int64_t queryTiles = llvm::divideCeil(m, threads);
    int64_t work = batches * queryTiles;
    int64_t grid = std::clamp<int64_t>(work, 1, maxBlocks);
    bool causal = op.getCausal();
    SmallVector<Value> biases(op.getBiases());
    Value q = op.getQ(), k = op.getK(), v = op.getV(), out = op.getInit();

    Type f32 = b.getF32Type();
    auto space = [&](gpu::AddressSpace s) { return gpu::AddressSpaceAttr::get(ctx, s); };
    // Threads stage a tile along whichever of its two dimensions is contiguous in memory, so
    // their loads coalesce (tessera-transpose-attention-keys leaves the keys contiguous along
    // the key index). Staged along the keys, a row of the tile gets one extra column, so
    // consecutive threads store to different banks.
    auto keysContiguous = [](Value operand) {
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(getStridesAndOffset(cast<MemRefType>(operand.getType()), strides, offset)))
        return false;
      return strides[strides.size() - 2] == 1 && strides.back() != 1;
    };
    bool keysAlongRows = keysContiguous(k), valuesAlongRows = keysContiguous(v);
    auto shared = [&](int64_t cols, bool padded) {
      return MemRefType::get({tile, cols + (padded ? 1 : 0)}, f32, MemRefLayoutAttrInterface{},
                             space(gpu::AddressSpace::Workgroup));
    };
    auto priv = [&](int64_t size) {
      return MemRefType::get({size}, f32, MemRefLayoutAttrInterface{},
                             space(gpu::AddressSpace::Private));
    };
    auto cidx = [&](OpBuilder &ob, int64_t value) {
      return Value(ob.create<arith::ConstantIndexOp>(loc, value));
    };
    auto fconst = [&](OpBuilder &ob, double value) {
      return Value(ob.create<arith::ConstantOp>(loc, ob.getF32FloatAttr(float(value))));
    };
    auto fastmath = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::reassoc |
                                                           arith::FastMathFlags::contract);
    const double negInfinity = -std::numeric_limits<double>::infinity();

    // Work items (batch·head, query tile), strided over the grid; every bound below the work
    // loop depends only on the item, so the block's threads agree on it.
    tessera::codegen::createWorkLoopLaunch(
        b, loc, grid, threads, work,
        TypeRange{shared(d, keysAlongRows), shared(e, valuesAlongRows)},
        TypeRange{priv(d), priv(e), priv(2)}, [&](OpBuilder &wb, Value item, gpu::LaunchOp launch) {
          Value keyTileBuf = launch.getWorkgroupAttributions()[0];
          Value valueTileBuf = launch.getWorkgroupAttributions()[1];
          Value query = launch.getPrivateAttributions()[0];
          Value acc = launch.getPrivateAttributions()[1];
          Value stats = launch.getPrivateAttributions()[2]; // running maximum, running sum
          Value tid = launch.getThreadIds().x;
          Value tiles = cidx(wb, queryTiles);
          Value bh = wb.create<arith::DivUIOp>(loc, item, tiles);
          Value qt = wb.create<arith::RemUIOp>(loc, item, tiles);
          SmallVector<Value> batchIdx(batchRank);
          SmallVector<unsigned> batchDims(batchRank);
          std::iota(batchDims.begin(), batchDims.end(), 0u);
          tessera::codegen::delinearize(wb, loc, bh, batchDims, qType.getShape(), batchIdx);
          Value rowBase = wb.create<arith::MulIOp>(loc, qt, cidx(wb, threads));
          Value i = wb.create<arith::AddIOp>(loc, rowBase, tid);
          Value valid = wb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, i, cidx(wb, m));
          auto at = [&](ValueRange tail) {
            SmallVector<Value> idx(batchIdx);
            idx.append(tail.begin(), tail.end());
            return idx;
          };
          auto ifValid = [&](OpBuilder &ob, function_ref<void(OpBuilder &)> fn) {
            auto guard = ob.create<scf::IfOp>(loc, valid, /*withElseRegion=*/false);
            OpBuilder ib = guard.getThenBodyBuilder();
            fn(ib);
          };

          // The scaled query row and an empty accumulator.
          ifValid(wb, [&](OpBuilder &ib) {
            Value scale = fconst(ib, op.getScale().convertToDouble());
            for (int64_t x = 0; x < d; ++x) {
              Value c = cidx(ib, x);
              Value qv = ib.create<memref::LoadOp>(loc, q, at({i, c}));
              ib.create<memref::StoreOp>(loc, ib.create<arith::MulFOp>(loc, qv, scale), query,
                                         ValueRange{c});
            }
            Value zero = fconst(ib, 0.0);
            for (int64_t x = 0; x < e; ++x)
              ib.create<memref::StoreOp>(loc, zero, acc, ValueRange{cidx(ib, x)});
            ib.create<memref::StoreOp>(loc, fconst(ib, negInfinity), stats,
                                       ValueRange{cidx(ib, 0)});
            ib.create<memref::StoreOp>(loc, zero, stats, ValueRange{cidx(ib, 1)});
          });

          Value keyEnd = cidx(wb, n);
          if (causal)
            keyEnd = wb.create<arith::MinUIOp>(
                loc, keyEnd, wb.create<arith::AddIOp>(loc, rowBase, cidx(wb, threads)));

          wb.create<scf::ForOp>(
              loc, cidx(wb, 0), keyEnd, cidx(wb, tile), ValueRange{},
              [&](OpBuilder &tb, Location, Value j0, ValueRange) {
                // All threads stage the tile, consecutive threads on consecutive features;
                // rows past the last key are zero.
                auto stage = [&](Value src, Value dst, int64_t cols, bool alongRows) {
                  tb.create<scf::ForOp>(
                      loc, tid, cidx(tb, tile * cols), cidx(tb, threads), ValueRange{},
                      [&](OpBuilder &sb, Location, Value flat, ValueRange) {
                        Value fast = cidx(sb, alongRows ? tile : cols);
                        Value major = sb.create<arith::DivUIOp>(loc, flat, fast);
                        Value minor = sb.create<arith::RemUIOp>(loc, flat, fast);
                        Value r = alongRows ? minor : major, c = alongRows ? major : minor;
                        Value j = sb.create<arith::AddIOp>(loc, j0, r);
                        Value inside = sb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, j,
                                                                cidx(sb, n));
                        auto read = sb.create<scf::IfOp>(
                            loc, inside,
                            [&](OpBuilder &rb, Location) {
                              rb.create<scf::YieldOp>(
                                  loc, ValueRange{rb.create<memref::LoadOp>(loc, src, at({j, c}))});
                            },
                            [&](OpBuilder &rb, Location) {
                              rb.create<scf::YieldOp>(loc, ValueRange{fconst(rb, 0.0)});
                            });
                        sb.create<memref::StoreOp>(loc, read.getResult(0), dst, ValueRange{r, c});
                        sb.create<scf::YieldOp>(loc);
                      });
                };
                stage(k, keyTileBuf, d, keysAlongRows);
                stage(v, valueTileBuf, e, valuesAlongRows);
                tb.create<gpu::BarrierOp>(loc);

                ifValid(tb, [&](OpBuilder &ib) {
                  Value count = ib.create<arith::MinUIOp>(
                      loc, cidx(ib, tile), ib.create<arith::SubIOp>(loc, keyEnd, j0));
                  ib.create<scf::ForOp>(loc, cidx(ib, 0), count, cidx(ib, kGroup), ValueRange{},
                                        [&](OpBuilder &gb, Location, Value g, ValueRange) {
                                          groupUpdate(gb, loc, g, j0, i, count, batchIdx, biases,
                                                      rank, causal, d, e, query, acc, stats,
                                                      keyTileBuf, valueTileBuf, fastmath);
                                          gb.create<scf::YieldOp>(loc);
                                        });
                });
                // The next tile overwrites what slower threads may still be reading.
                tb.create<gpu::BarrierOp>(loc);
                tb.create<scf::YieldOp>(loc);
              });

          ifValid(wb, [&](OpBuilder &ib) {
            Value inv = ib.create<arith::DivFOp>(
                loc, fconst(ib, 1.0),
                ib.create<memref::LoadOp>(loc, stats, ValueRange{cidx(ib, 1)}));
            for (int64_t x = 0; x < e; ++x) {
              Value c = cidx(ib, x);
              Value a = ib.create<memref::LoadOp>(loc, acc, ValueRange{c});
              ib.create<memref::StoreOp>(loc, ib.create<arith::MulFOp>(loc, a, inv), out,
                                         at({i, c}));
            }
          });
        });
    op.erase();
  }

  /// One group of kGroup keys starting at tile row `g`: their scores, the new running maximum,
  /// one rescale of the accumulator and sum, and acc += p v.
  static void groupUpdate(OpBuilder &b, Location loc, Value g, Value j0, Value i, Value count,
                          ArrayRef<Value> batchIdx, ArrayRef<Value> biases, int64_t rank,
                          bool causal, int64_t d, int64_t e, Value query, Value acc, Value stats,
                          Value keyTile, Value valueTile, arith::FastMathFlagsAttr fastmath) {
    auto cidx = [&](int64_t value) { return Value(b.create<arith::ConstantIndexOp>(loc, value)); };
    auto fconst = [&](double value) {
      return Value(b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(value))));
    };
    Value negInf = fconst(-std::numeric_limits<double>::infinity());
    Value zero = fconst(0.0), oneF = fconst(1.0);
    SmallVector<Value> qv;
    for (int64_t x = 0; x < d; ++x)
      qv.push_back(b.create<memref::LoadOp>(loc, query, ValueRange{cidx(x)}));
    SmallVector<Value> scores, rowsOfTile;
    Value groupMax = negInf;
    for (int64_t t = 0; t < kGroup; ++t) {
      Value r = b.create<arith::AddIOp>(loc, g, cidx(t));
      rowsOfTile.push_back(r);
      Value s = zero;
      for (int64_t x = 0; x < d; ++x) {
        Value kv = b.create<memref::LoadOp>(loc, keyTile, ValueRange{r, cidx(x)});
        s = b.create<arith::AddFOp>(loc, s, b.create<arith::MulFOp>(loc, qv[x], kv, fastmath),
                                    fastmath);
      }
      Value j = b.create<arith::AddIOp>(loc, j0, r);
      Value live = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, r, count);
      if (causal)
        live = b.create<arith::AndIOp>(
            loc, live, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ule, j, i));
      if (!biases.empty()) {
        // Rows past the last key read the last key's bias; their score is masked below.
        Value jc = b.create<arith::SelectOp>(loc, live, j, j0);
        SmallVector<Value> scoreIdx(batchIdx.begin(), batchIdx.end());
        scoreIdx.push_back(i);
        scoreIdx.push_back(jc);
        for (Value bias : biases) {
          auto bt = cast<MemRefType>(bias.getType());
          int64_t lead = rank - bt.getRank();
          SmallVector<Value> idx;
          for (int64_t x = 0; x < bt.getRank(); ++x)
            idx.push_back(bt.getShape()[x] == 1 ? cidx(0) : scoreIdx[x + lead]);
          s = b.create<arith::AddFOp>(loc, s, b.create<memref::LoadOp>(loc, bias, idx));
        }
      }
      s = b.create<arith::SelectOp>(loc, live, s, negInf);
      scores.push_back(s);
      groupMax = b.create<arith::MaximumFOp>(loc, groupMax, s);
    }
    Value mOld = b.create<memref::LoadOp>(loc, stats, ValueRange{cidx(0)});
    Value lOld = b.create<memref::LoadOp>(loc, stats, ValueRange{cidx(1)});
    Value mNew = b.create<arith::MaximumFOp>(loc, mOld, groupMax);
    // While every key so far is masked the maximum is -inf; nothing has been accumulated and
    // exp(-inf - -inf) would be NaN.
    Value empty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mNew, negInf);
    Value corr = b.create<arith::SelectOp>(
        loc, empty, oneF, b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, mOld, mNew)));
    SmallVector<Value> probs;
    Value sum = b.create<arith::MulFOp>(loc, lOld, corr);
    for (Value s : scores) {
      Value masked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, s, negInf);
      Value p = b.create<arith::SelectOp>(
          loc, masked, zero, b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, s, mNew)));
      probs.push_back(p);
      sum = b.create<arith::AddFOp>(loc, sum, p, fastmath);
    }
    b.create<memref::StoreOp>(loc, mNew, stats, ValueRange{cidx(0)});
    b.create<memref::StoreOp>(loc, sum, stats, ValueRange{cidx(1)});
    for (int64_t x = 0; x < e; ++x) {
      Value c = cidx(x);
      Value a = b.create<arith::MulFOp>(loc, b.create<memref::LoadOp>(loc, acc, ValueRange{c}),
                                        corr, fastmath);
      for (int64_t t = 0; t < kGroup; ++t) {
        Value vv = b.create<memref::LoadOp>(loc, valueTile, ValueRange{rowsOfTile[t], c});
        a = b.create<arith::AddFOp>(loc, a, b.create<arith::MulFOp>(loc, probs[t], vv, fastmath),
                                    fastmath);
      }
      b.create<memref::StoreOp>(loc, a, acc, ValueRange{c});
    }
  }
};

} // namespace
