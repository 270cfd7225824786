// Lowers the contractions cuBLASLt does not take (convolutions with a window, strided ones,
// products whose operands do not flatten into matrices) to a shared-memory tiled kernel, an
// implicit GEMM: the loops are grouped as a matrix product (batch: read by both inputs; M:
// only by the first; N: only by the second; K: the reduction), a block computes a 64 x 64
// tile of outputs, 256 threads each holding a 4 x 4 register block, and for every 8 steps of
// the reduction the block stages an 8 x 64 slice of each input in shared memory (gathered
// through the op's indexing maps, so a convolution's window is read in place), then every
// thread does 8 rank-1 updates of its block from shared memory.
//
// Like the other block-level kernels, the accumulators live in private memory and every
// value crossing a barrier is recomputable from ids, so tessera-emulate-gpu-kernels can run
// it against the reference.
#include "tessera/codegen/Passes.h"

#include "Contraction.h"
#include "GpuKernelBuilders.h"

#include "tessera/passes/PassReport.h"

namespace tessera {
#define GEN_PASS_DEF_GPUTILEDCONTRACTIONS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using tessera::codegen::createWorkLoopLaunch;
using tessera::codegen::delinearize;
using tessera::codegen::indicesAt;
using tessera::codegen::isMultiplyAccumulate;

namespace {

constexpr int64_t kTile = 64; // outputs per block along M and along N
constexpr int64_t kStep = 8;  // reduction steps staged at a time
constexpr int64_t kThreads = 256;
constexpr int64_t kSide = 16;                 // threads along each side of the tile
constexpr int64_t kPerThread = kTile / kSide; // register block: kPerThread x kPerThread
constexpr int64_t kPad = 4; // extra columns of a shared tile against bank conflicts

/// The op's loops as a batched matrix product.
struct Grouping {
  SmallVector<unsigned> batch, m, n, k;
  int64_t batches = 1, rows = 1, cols = 1, depth = 1;
};

std::optional<Grouping> group(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto iterators = op.getIteratorTypesArray();
  Grouping g;
  for (unsigned l = 0; l < ranges.size(); ++l) {
    bool inA = maps[0].isFunctionOfDim(l), inB = maps[1].isFunctionOfDim(l);
    if (iterators[l] == utils::IteratorType::reduction) {
      g.k.push_back(l);
      g.depth *= ranges[l];
    } else if (inA && inB) {
      g.batch.push_back(l);
      g.batches *= ranges[l];
    } else if (inA) {
      g.m.push_back(l);
      g.rows *= ranges[l];
    } else if (inB) {
      g.n.push_back(l);
      g.cols *= ranges[l];
    } else if (ranges[l] != 1) {
      return std::nullopt; // a loop that only broadcasts into the output
    } else {
      g.batch.push_back(l);
    }
  }
  return g;
}

struct GpuTiledContractionsPass
    : tessera::impl::GpuTiledContractionsBase<GpuTiledContractionsPass> {
  using GpuTiledContractionsBase::GpuTiledContractionsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (minFlops < 0 || maxBlocks < 1)
      return emitError(UnknownLoc::get(ctx), "min-flops must be >= 0 and max-blocks >= 1");
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (eligible(op))
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops)
      lower(op);
    numLowered += ops.size();
    if (!ops.empty())
      tessera::reportStatistic(getArgument(), "contractions as shared-memory tiled kernels",
                               ops.size());
  }

  bool eligible(linalg::GenericOp op) const {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
        !isMultiplyAccumulate(op))
      return false;
    for (Value v : {op.getDpsInputs()[0], op.getDpsInputs()[1], op.getDpsInits()[0]}) {
      auto t = dyn_cast<MemRefType>(v.getType());
      if (!t || !t.getElementType().isF32())
        return false;
    }
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return false;
    auto g = group(op);
    // Tiles must be worth filling: at least half a tile of rows and of columns, and a
    // reduction of a few steps.
    return g && g->rows >= kTile / 2 && g->cols >= kTile / 4 && g->depth >= kStep &&
           2 * g->batches * g->rows * g->cols * g->depth >= minFlops;
  }

  void lower(linalg::GenericOp op) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Grouping g = *group(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned numLoops = ranges.size();
    Value a = op.getDpsInputs()[0], bIn = op.getDpsInputs()[1], out = op.getDpsInits()[0];
    int64_t rowTiles = llvm::divideCeil(g.rows, kTile), colTiles = llvm::divideCeil(g.cols, kTile);
    int64_t work = g.batches * rowTiles * colTiles;
    int64_t grid = std::clamp<int64_t>(work, 1, maxBlocks);

    // Stage each input along whichever of its two tile dimensions is contiguous in memory.
    auto stride = [&](Value v, AffineMap map, ArrayRef<unsigned> loops) -> int64_t {
      SmallVector<int64_t> strides;
      int64_t offset;
      if (loops.empty() ||
          failed(getStridesAndOffset(cast<MemRefType>(v.getType()), strides, offset)))
        return -1;
      unsigned last = loops.back();
      for (auto [i, e] : llvm::enumerate(map.getResults()))
        if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == last)
          return strides[i];
      return -1;
    };
    bool aAlongK = stride(a, maps[0], g.k) == 1 || stride(a, maps[0], g.m) != 1;
    bool bAlongK = stride(bIn, maps[1], g.k) == 1 || stride(bIn, maps[1], g.n) != 1;

    Type f32 = Float32Type::get(ctx);
    auto space = [&](gpu::AddressSpace s) { return gpu::AddressSpaceAttr::get(ctx, s); };
    auto sharedTile = MemRefType::get({kStep, kTile + kPad}, f32, MemRefLayoutAttrInterface{},
                                      space(gpu::AddressSpace::Workgroup));
    auto accType = MemRefType::get({kPerThread * kPerThread}, f32, MemRefLayoutAttrInterface{},
                                   space(gpu::AddressSpace::Private));
    OpBuilder b(op);
    auto cidx = [&](OpBuilder &ob, int64_t v) {
      return Value(ob.create<arith::ConstantIndexOp>(loc, v));
    };
    auto fastmath = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::reassoc |
                                                           arith::FastMathFlags::contract);

    createWorkLoopLaunch(
        b, loc, grid, kThreads, work, TypeRange{sharedTile, sharedTile}, TypeRange{accType},
        [&](OpBuilder &wb, Value item, gpu::LaunchOp launch) {
          Value aTile = launch.getWorkgroupAttributions()[0];
          Value bTile = launch.getWorkgroupAttributions()[1];
          Value acc = launch.getPrivateAttributions()[0];
          Value tid = launch.getThreadIds().x;
          Value zeroF = wb.create<arith::ConstantOp>(loc, wb.getF32FloatAttr(0.0f));
          Value tilesPerBatch = cidx(wb, rowTiles * colTiles);
          Value batch = wb.create<arith::DivUIOp>(loc, item, tilesPerBatch);
          Value inBatch = wb.create<arith::RemUIOp>(loc, item, tilesPerBatch);
          Value rowBase = wb.create<arith::MulIOp>(
              loc, wb.create<arith::DivUIOp>(loc, inBatch, cidx(wb, colTiles)), cidx(wb, kTile));
          Value colBase = wb.create<arith::MulIOp>(
              loc, wb.create<arith::RemUIOp>(loc, inBatch, cidx(wb, colTiles)), cidx(wb, kTile));
          Value ty = wb.create<arith::DivUIOp>(loc, tid, cidx(wb, kSide));
          Value tx = wb.create<arith::RemUIOp>(loc, tid, cidx(wb, kSide));
          for (int64_t x = 0; x < kPerThread * kPerThread; ++x)
            wb.create<memref::StoreOp>(loc, zeroF, acc, ValueRange{cidx(wb, x)});

          wb.create<scf::ForOp>(
              loc, cidx(wb, 0), cidx(wb, g.depth), cidx(wb, kStep), ValueRange{},
              [&](OpBuilder &kb, Location, Value k0, ValueRange) {
                // Element (row r of the tile, step s) of input `in`, zero outside the product.
                auto stage = [&](Value in, AffineMap map, ArrayRef<unsigned> own, int64_t ownExtent,
                                 Value base, Value tile, bool alongK) {
                  for (int64_t rep = 0; rep < kTile * kStep / kThreads; ++rep) {
                    Value flat = kb.create<arith::AddIOp>(loc, tid, cidx(kb, rep * kThreads));
                    Value fast = cidx(kb, alongK ? kStep : kTile);
                    Value major = kb.create<arith::DivUIOp>(loc, flat, fast);
                    Value minor = kb.create<arith::RemUIOp>(loc, flat, fast);
                    Value r = alongK ? major : minor, s = alongK ? minor : major;
                    Value row = kb.create<arith::AddIOp>(loc, base, r);
                    Value step = kb.create<arith::AddIOp>(loc, k0, s);
                    Value inside = kb.create<arith::AndIOp>(
                        loc,
                        kb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, row,
                                                 cidx(kb, ownExtent)),
                        kb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, step,
                                                 cidx(kb, g.depth)));
                    auto read = kb.create<scf::IfOp>(
                        loc, inside,
                        [&](OpBuilder &rb, Location) {
                          SmallVector<Value> ivs(numLoops, cidx(rb, 0));
                          delinearize(rb, loc, batch, g.batch, ranges, ivs);
                          delinearize(rb, loc, row, own, ranges, ivs);
                          delinearize(rb, loc, step, g.k, ranges, ivs);
                          Value v =
                              rb.create<memref::LoadOp>(loc, in, indicesAt(rb, loc, map, ivs));
                          rb.create<scf::YieldOp>(loc, ValueRange{v});
                        },
                        [&](OpBuilder &rb, Location) {
                          rb.create<scf::YieldOp>(loc, ValueRange{zeroF});
                        });
                    kb.create<memref::StoreOp>(loc, read.getResult(0), tile, ValueRange{s, r});
                  }
                };
                stage(a, maps[0], g.m, g.rows, rowBase, aTile, aAlongK);
                stage(bIn, maps[1], g.n, g.cols, colBase, bTile, bAlongK);
                kb.create<gpu::BarrierOp>(loc);
                // kStep rank-1 updates of the thread's register block: rows ty + 16 i, columns
                // tx + 16 j (neighbouring threads on neighbouring columns of the shared tile).
                SmallVector<Value> sums;
                for (int64_t x = 0; x < kPerThread * kPerThread; ++x)
                  sums.push_back(kb.create<memref::LoadOp>(loc, acc, ValueRange{cidx(kb, x)}));
                for (int64_t s = 0; s < kStep; ++s) {
                  Value cs = cidx(kb, s);
                  SmallVector<Value> av, bv;
                  for (int64_t i = 0; i < kPerThread; ++i) {
                    Value r = kb.create<arith::AddIOp>(loc, ty, cidx(kb, i * kSide));
                    av.push_back(kb.create<memref::LoadOp>(loc, aTile, ValueRange{cs, r}));
                    Value c = kb.create<arith::AddIOp>(loc, tx, cidx(kb, i * kSide));
                    bv.push_back(kb.create<memref::LoadOp>(loc, bTile, ValueRange{cs, c}));
                  }
                  for (int64_t i = 0; i < kPerThread; ++i)
                    for (int64_t j = 0; j < kPerThread; ++j) {
                      Value &sum = sums[i * kPerThread + j];
                      sum = kb.create<arith::AddFOp>(
                          loc, sum, kb.create<arith::MulFOp>(loc, av[i], bv[j], fastmath),
                          fastmath);
                    }
                }
                for (int64_t x = 0; x < kPerThread * kPerThread; ++x)
                  kb.create<memref::StoreOp>(loc, sums[x], acc, ValueRange{cidx(kb, x)});
                // The next step's staging overwrites what slower threads may still be reading.
                kb.create<gpu::BarrierOp>(loc);
                kb.create<scf::YieldOp>(loc);
              });

          // out += the register block, inside the product only.
          for (int64_t i = 0; i < kPerThread; ++i)
            for (int64_t j = 0; j < kPerThread; ++j) {
              Value row = wb.create<arith::AddIOp>(
                  loc, rowBase, wb.create<arith::AddIOp>(loc, ty, cidx(wb, i * kSide)));
              Value col = wb.create<arith::AddIOp>(
                  loc, colBase, wb.create<arith::AddIOp>(loc, tx, cidx(wb, j * kSide)));
              Value inside = wb.create<arith::AndIOp>(
                  loc,
                  wb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, row, cidx(wb, g.rows)),
                  wb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, col, cidx(wb, g.cols)));
              auto store = wb.create<scf::IfOp>(loc, inside, /*withElseRegion=*/false);
              OpBuilder sb = store.getThenBodyBuilder();
              SmallVector<Value> ivs(numLoops, cidx(sb, 0));
              delinearize(sb, loc, batch, g.batch, ranges, ivs);
              delinearize(sb, loc, row, g.m, ranges, ivs);
              delinearize(sb, loc, col, g.n, ranges, ivs);
              SmallVector<Value> indices = indicesAt(sb, loc, maps[2], ivs);
              Value old = sb.create<memref::LoadOp>(loc, out, indices);
              Value sum =
                  sb.create<memref::LoadOp>(loc, acc, ValueRange{cidx(sb, i * kPerThread + j)});
              sb.create<memref::StoreOp>(loc, sb.create<arith::AddFOp>(loc, old, sum), out,
                                         indices);
            }
        });
    op->erase();
  }
};

} // namespace
