// Maps a dispatch's iteration space onto workgroups: the CPU runtime runs workgroups on its
// thread pool, and the same (id, count) contract maps onto CUDA blocks later.
#include "tessera/codegen/Passes.h"
#include "tessera/passes/PassReport.h"

#include "Program.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

namespace tessera {
#define GEN_PASS_DEF_DISTRIBUTEWORKGROUPS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

std::optional<int64_t> constantIndex(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
    return c.value();
  return std::nullopt;
}

/// Constants, views of the bound buffers and per-call stack scratch (attention's score block)
/// are not work: every workgroup may run them.
bool isWork(Operation &op) {
  return !op.hasTrait<OpTrait::ConstantLike>() && !isa<memref::AllocaOp>(op) &&
         !tessera::codegen::isBufferView(&op);
}

struct DistributeWorkgroupsPass
    : tessera::impl::DistributeWorkgroupsBase<DistributeWorkgroupsPass> {
  using DistributeWorkgroupsBase::DistributeWorkgroupsBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (!fn->hasAttr(tessera::kDispatchAttr))
      return;
    Block &body = fn.getBody().front();
    Type index = IndexType::get(&getContext());
    unsigned n = fn.getNumArguments();
    fn.insertArguments({n, n}, {index, index}, {DictionaryAttr(), DictionaryAttr()},
                       {fn.getLoc(), fn.getLoc()});
    Value wgId = body.getArgument(n);
    Value wgCount = body.getArgument(n + 1);

    // The loop nest must be the dispatch's only effect to be split safely.
    scf::ParallelOp loop;
    unsigned effects = 0;
    for (Operation &op : body.without_terminator()) {
      if (!isWork(op))
        continue;
      ++effects;
      if (auto p = dyn_cast<scf::ParallelOp>(op))
        loop = p;
    }
    OpBuilder b(&getContext());
    int64_t workgroups = 1;
    std::optional<unsigned> dim;
    int64_t trip = 1;
    if (loop && effects == 1) {
      // The outermost dimension with enough iterations to keep every thread busy (e.g. the
      // query rows of attention rather than its 2-8 heads); else the one with the most.
      int64_t enough = std::max<int64_t>(2, maxWorkgroups / 2);
      for (unsigned d = 0; d < loop.getNumLoops(); ++d) {
        auto lb = constantIndex(loop.getLowerBound()[d]);
        auto ub = constantIndex(loop.getUpperBound()[d]);
        auto step = constantIndex(loop.getStep()[d]);
        if (!lb || !ub || !step || *step <= 0)
          break;
        int64_t t = (*ub - *lb + *step - 1) / *step;
        if (t > trip) {
          dim = d;
          trip = t;
        }
        if (t >= enough)
          break;
      }
      if (trip <= 1)
        dim.reset();
    }
    if (dim) {
      // chunk = ceil(trip / count); this workgroup runs iterations [id*chunk, (id+1)*chunk).
      unsigned d = *dim;
      b.setInsertionPoint(loop);
      Location loc = loop.getLoc();
      Value lb = loop.getLowerBound()[d], ub = loop.getUpperBound()[d], step = loop.getStep()[d];
      Value tripV = b.create<arith::ConstantIndexOp>(loc, trip);
      Value chunk = b.create<arith::CeilDivUIOp>(loc, tripV, wgCount);
      Value span = b.create<arith::MulIOp>(loc, chunk, step);
      Value newLb = b.create<arith::AddIOp>(loc, lb, b.create<arith::MulIOp>(loc, wgId, span));
      Value newUb = b.create<arith::MinSIOp>(loc, ub, b.create<arith::AddIOp>(loc, newLb, span));
      unsigned n = loop.getNumLoops();
      loop->setOperand(d, newLb);
      loop->setOperand(n + d, newUb);
      workgroups = std::min<int64_t>(trip, maxWorkgroups);
      ++numDistributed;
      tessera::reportStatistic(getArgument(), "dispatches split across workgroups", 1);
    } else {
      // Run everything on workgroup 0 so that any count is still correct.
      SmallVector<Operation *> ops;
      for (Operation &op : body.without_terminator())
        if (isWork(op))
          ops.push_back(&op);
      b.setInsertionPoint(body.getTerminator());
      Location loc = fn.getLoc();
      Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
      Value isFirst = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, wgId, zero);
      auto guard = b.create<scf::IfOp>(loc, isFirst, /*withElseRegion=*/false);
      Block *then = guard.thenBlock();
      for (Operation *op : ops)
        op->moveBefore(then->getTerminator());
      ++numSerial;
      tessera::reportStatistic(getArgument(), "dispatches on one workgroup", 1);
    }
    fn->setAttr(tessera::kWorkgroupsAttr, b.getI64IntegerAttr(workgroups));
  }
};

} // namespace
