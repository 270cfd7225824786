// Contraction kernels: every `out += lhs * rhs` generic of the bufferized graph (linear,
// matmul, convolution, einsum) becomes a register-blocked loop nest of vector FMAs, with the
// op that initializes its output and the elementwise ops that consume it folded in. See the
// pass description in Passes.td for the loop structure.
#include "tessera/codegen/Passes.h"

#include "BufferAccess.h"
#include "Contraction.h"
#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace tessera {
#define GEN_PASS_DEF_CONTRACTIONKERNELS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using tessera::codegen::BufferEffects;
using tessera::codegen::bufferRoot;
using tessera::codegen::Contraction;

namespace {

/// How a kernel reads one operand of its prologue or epilogue at an output element.
struct Operand {
  enum Kind {
    Accumulator, // the value being computed
    Vector,      // a vector along n (unit stride)
    Scalar,      // does not depend on n: one load, broadcast
  } kind;
  Value buffer;  // Vector / Scalar
  AffineMap map; // in the contraction's loop dimensions
};

/// An elementwise generic applied to the accumulators before they are stored.
struct Stage {
  linalg::GenericOp op;
  SmallVector<Operand> operands; // one per block argument of the body
};

/// Everything the generated loop nest needs.
struct Plan {
  Contraction c;
  int64_t lanes = 16, rows = 8, columns = 32;
  /// Row chunks per column block (tasks = column blocks x chunks) and register blocks per
  /// chunk.
  int64_t chunks = 1, blocksPerChunk = 1;
  /// Tasks are row chunks that each walk every column block (rhs small enough to stay in
  /// cache, rows many): a block of lhs rows is reused for all columns from L1 instead of
  /// being streamed once per column block.
  bool rowsOuter = false;
  /// Where the accumulators start: a constant, a broadcast operand, or the output's contents.
  enum { FromOutput, FromConstant, FromOperand } init = FromOutput;
  Value initConstant;
  Operand initOperand;
  Operation *initOp = nullptr;
  SmallVector<Stage> stages;
  /// Ops moved before the kernel so that a stage's operands are ready.
  SmallVector<Operation *> hoisted;
  /// The final destination (the contraction's output when there are no stages) and its map.
  Value result;
  AffineMap resultMap;
};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool isStructural(Operation &op) {
  return tessera::codegen::isBufferView(&op) || isa<memref::AllocOp>(op) ||
         op.hasTrait<OpTrait::ConstantLike>();
}

/// Two memref values that address the same elements of the same buffer.
bool sameRegion(Value a, Value b) {
  return a == b || (a.getType() == b.getType() && bufferRoot(a) == bufferRoot(b));
}

/// The map of `operand` re-expressed over the contraction's loops, given that the op `op`
/// reads the contraction's output (or a buffer written at the same elements) through
/// `anchor` and the contraction writes it through `outMap`.
FailureOr<AffineMap> composeMap(linalg::GenericOp op, AffineMap anchor, AffineMap outMap,
                                AffineMap operand) {
  if (!anchor.isPermutation())
    return failure();
  SmallVector<AffineExpr> replacements(op.getNumLoops());
  for (auto [i, e] : llvm::enumerate(anchor.getResults()))
    replacements[cast<AffineDimExpr>(e).getPosition()] = outMap.getResult(i);
  return operand.replaceDimsAndSymbols(replacements, {}, outMap.getNumDims(), 0);
}

/// Vector or scalar access of `buffer` through `map` (over the contraction's loops); fails
/// when the buffer is read along n other than by unit stride. A buffer read along n at a
/// dimension followed only by unit dimensions (a per-channel [C, 1, 1] parameter) is read
/// through a view without them.
FailureOr<Operand> classify(Value buffer, AffineMap map, unsigned n) {
  auto type = cast<MemRefType>(buffer.getType());
  unsigned usesN =
      llvm::count_if(map.getResults(), [&](AffineExpr e) { return e.isFunctionOfDim(n); });
  if (usesN == 0)
    return Operand{Operand::Scalar, buffer, map};
  if (usesN != 1)
    return failure();
  unsigned pos = 0;
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (e.isFunctionOfDim(n))
      pos = i;
  auto dim = dyn_cast<AffineDimExpr>(map.getResult(pos));
  if (!dim || dim.getPosition() != n || !type.hasStaticShape())
    return failure();
  for (unsigned i = pos + 1; i < type.getRank(); ++i)
    if (type.getDimSize(i) != 1)
      return failure();
  if (pos + 1 < type.getRank()) {
    SmallVector<ReassociationIndices> groups;
    for (unsigned i = 0; i < pos; ++i)
      groups.push_back({int64_t(i)});
    ReassociationIndices last;
    for (unsigned i = pos; i < type.getRank(); ++i)
      last.push_back(i);
    groups.push_back(last);
    if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups))
      return failure();
    OpBuilder b(buffer.getContext());
    b.setInsertionPointAfterValue(buffer);
    buffer = b.create<memref::CollapseShapeOp>(buffer.getLoc(), buffer, groups);
    map =
        AffineMap::get(map.getNumDims(), 0, map.getResults().take_front(pos + 1), map.getContext());
    type = cast<MemRefType>(buffer.getType());
  }
  if (!tessera::codegen::hasUnitInnerStride(type))
    return failure();
  return Operand{Operand::Vector, buffer, map};
}

bool isVectorizableBody(linalg::GenericOp op) {
  for (Operation &inner : op.getRegion().front().without_terminator()) {
    if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()))
      return false;
    if (!isa<arith::ConstantOp>(inner) && !inner.hasTrait<OpTrait::Elementwise>())
      return false;
    for (Type t : inner.getResultTypes())
      if (!t.isF32() && !t.isInteger(1))
        return false;
    for (Type t : inner.getOperandTypes())
      if (!t.isF32() && !t.isInteger(1))
        return false;
  }
  return true;
}

/// The compute ops of the block strictly between `from` and `to`.
SmallVector<Operation *> between(Operation *from, Operation *to) {
  SmallVector<Operation *> ops;
  for (Operation *op = from->getNextNode(); op && op != to; op = op->getNextNode())
    if (!isStructural(*op))
      ops.push_back(op);
  return ops;
}

/// Whether the value in `root` is dead after `after`: the buffer is an allocation and the
/// next op touching it overwrites it whole, or nothing touches it again.
bool deadAfter(Value root, Operation *after) {
  if (!root.getDefiningOp<memref::AllocOp>())
    return false;
  for (Operation *op = after->getNextNode(); op; op = op->getNextNode()) {
    if (isStructural(*op) || !tessera::codegen::touches(op, root, false))
      continue;
    return tessera::codegen::overwrites(op, root) && tessera::codegen::writesAll(op, root);
  }
  return true;
}

/// Whether `v` is available before `point`, or can be made so by moving the structural ops
/// (views, allocations, constants) that compute it up there. Moves them when `apply`.
bool hoistable(Value v, Operation *point, bool apply) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() || def->isBeforeInBlock(point))
    return true;
  if (!isStructural(*def) || def->getNumRegions())
    return false;
  for (Value operand : def->getOperands())
    if (!hoistable(operand, point, apply))
      return false;
  if (apply)
    def->moveBefore(point);
  return true;
}

/// Every value `op` uses (as an operand or from inside its regions), hoistable to `point`.
bool stageHoistable(Operation *op, Operation *point, bool apply) {
  for (Value v : op->getOperands())
    if (!hoistable(v, point, apply))
      return false;
  bool ok = true;
  op->walk([&](Operation *inner) {
    if (inner == op)
      return;
    for (Value v : inner->getOperands())
      if (!op->isAncestor(v.getParentRegion()->getParentOp()) && !hoistable(v, point, apply))
        ok = false;
  });
  return ok;
}

struct ContractionKernelsPass : tessera::impl::ContractionKernelsBase<ContractionKernelsPass> {
  using ContractionKernelsBase::ContractionKernelsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (vectorWidth < 1 || (vectorWidth & (vectorWidth - 1)))
      return emitError(UnknownLoc::get(ctx), "vector-width must be a power of two >= 1");
    if (rowBlock < 0 || rowBlock > 32)
      return emitError(UnknownLoc::get(ctx), "rows must be in [1, 32], or 0 (automatic)");
    if (columnBlock < 0 || columnBlock % vectorWidth || columnBlock > 16 * vectorWidth)
      return emitError(UnknownLoc::get(ctx),
                       "columns must be 0 (automatic) or a multiple of vector-width, at most "
                       "16 vectors");
    if (minTasks < 1)
      return emitError(UnknownLoc::get(ctx), "min-tasks must be >= 1");
    return success();
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn->hasAttr(tessera::kDispatchAttr) || fn.isExternal())
      return;
    SmallVector<linalg::GenericOp> candidates;
    for (Operation &op : fn.getBody().front())
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        candidates.push_back(generic);
    unsigned kernels = 0, inits = 0, stages = 0;
    // Kernels absorb neighbouring generics (initializations, epilogue stages).
    DenseSet<Operation *> absorbed;
    for (linalg::GenericOp op : candidates) {
      if (absorbed.contains(op))
        continue;
      std::optional<Plan> plan = planFor(op);
      if (!plan)
        continue;
      if (plan->initOp)
        absorbed.insert(plan->initOp);
      for (const Stage &stage : plan->stages)
        absorbed.insert(stage.op);
      emit(*plan);
      ++kernels;
      inits += plan->initOp != nullptr;
      stages += plan->stages.size();
    }
    numKernels += kernels;
    numInits += inits;
    numEpilogues += stages;
    tessera::reportStatistic(getArgument(), "contractions as register-blocked kernels", kernels);
    tessera::reportStatistic(getArgument(), "output initializations folded into kernels", inits);
    tessera::reportStatistic(getArgument(), "elementwise consumers folded into kernels", stages);
  }

  std::optional<Plan> planFor(linalg::GenericOp op) {
    std::optional<Contraction> c = tessera::codegen::matchContraction(op);
    if (!c || (!c->panel && !c->rhsContiguous))
      return std::nullopt;
    Plan plan;
    plan.c = *c;
    plan.lanes = vectorWidth;
    int64_t n = c->ranges[c->n];
    plan.columns = c->panel      ? c->panel
                   : columnBlock ? int64_t(columnBlock)
                                 : tessera::codegen::chooseColumns(n, vectorWidth);
    if (plan.columns % plan.lanes || plan.columns > 16 * plan.lanes)
      return std::nullopt;
    int64_t vectors = plan.columns / plan.lanes;
    plan.rows = c->m.empty() ? 1
                : rowBlock   ? int64_t(rowBlock)
                             : tessera::codegen::chooseRows(vectors, plan.lanes);
    int64_t reductionSize = 1;
    for (unsigned d : c->reductions)
      reductionSize *= c->ranges[d];
    int64_t panelCount = ceilDiv(n, plan.columns);
    int64_t rhsBytes = reductionSize * panelCount * plan.columns * 4;
    int64_t rowBlockCount = ceilDiv(c->rows(), plan.rows);
    if (rowsOuterMaxRhsBytes > 0 && panelCount > 1 && rhsBytes <= rowsOuterMaxRhsBytes &&
        rowBlockCount >= 4 * minTasks) {
      plan.rowsOuter = true;
      // Tasks of about 16 register blocks, at least min-tasks of them.
      plan.blocksPerChunk = std::max<int64_t>(1, std::min<int64_t>(16, rowBlockCount / minTasks));
      plan.chunks = ceilDiv(rowBlockCount, plan.blocksPerChunk);
    } else {
      // Enough tasks for every thread: split the rows when column blocks are few.
      int64_t tasks = panelCount;
      for (unsigned d : c->outer)
        tasks *= c->ranges[d];
      plan.chunks = tasks >= minTasks ? 1 : std::min(rowBlockCount, ceilDiv(minTasks, tasks));
      plan.blocksPerChunk = ceilDiv(rowBlockCount, plan.chunks);
      plan.chunks = ceilDiv(rowBlockCount, plan.blocksPerChunk);
    }
    OpOperand *out = op.getDpsInitOperand(0);
    AffineMap outMap = op.getMatchingIndexingMap(out);
    plan.result = out->get();
    plan.resultMap = outMap;
    findInit(plan);
    if (fuseEpilogues)
      findStages(plan);
    return plan;
  }

  /// The op right before the contraction that writes its whole output with a constant or a
  /// broadcast operand (the bias): the accumulators start from it instead.
  void findInit(Plan &plan) {
    linalg::GenericOp op = plan.c.op;
    Value out = op.getDpsInitOperand(0)->get();
    Value root = bufferRoot(out);
    Operation *prev = op->getPrevNode();
    for (; prev; prev = prev->getPrevNode())
      if (!isStructural(*prev) && tessera::codegen::touches(prev, root, false))
        break;
    if (!prev)
      return;
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      if (!fill.hasPureBufferSemantics() || !sameRegion(fill.getOutputs()[0], out))
        return;
      Value v = fill.getInputs()[0];
      if (!v.getType().isF32())
        return;
      plan.init = Plan::FromConstant;
      plan.initConstant = v;
      plan.initOp = fill;
      return;
    }
    auto generic = dyn_cast<linalg::GenericOp>(prev);
    if (!generic || !generic.hasPureBufferSemantics() || generic.getNumDpsInputs() != 1 ||
        generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() != 0 ||
        !sameRegion(generic.getDpsInitOperand(0)->get(), out))
      return;
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (body.getOperations().size() != 1 || yield.getOperand(0) != body.getArgument(0))
      return;
    OpOperand *input = generic.getDpsInputOperand(0);
    if (bufferRoot(input->get()) == root)
      return;
    // The broadcast source must still hold its value when the kernel runs.
    for (Operation *mid : between(generic, op))
      if (tessera::codegen::touches(mid, bufferRoot(input->get()), true))
        return;
    FailureOr<AffineMap> map = composeMap(
        generic, generic.getMatchingIndexingMap(generic.getDpsInitOperand(0)),
        op.getMatchingIndexingMap(op.getDpsInitOperand(0)), generic.getMatchingIndexingMap(input));
    if (failed(map))
      return;
    FailureOr<Operand> operand = classify(input->get(), *map, plan.c.n);
    if (failed(operand) || !hoistable(operand->buffer, op, /*apply=*/true))
      return;
    plan.init = Plan::FromOperand;
    plan.initOperand = *operand;
    plan.initOp = generic;
  }

  /// Elementwise consumers of the output, in program order: each becomes a stage applied to
  /// the accumulators, as long as the values it skips storing are never read.
  void findStages(Plan &plan) {
    linalg::GenericOp op = plan.c.op;
    Operation *last = op;
    Value current = plan.result;
    SmallVector<Value> intermediates; // buffers whose stored values the stages replace
    // What the kernel (the contraction and the stages so far) touches, and the ops between it
    // and the next consumer that stay where they are.
    BufferEffects kernelEffects = BufferEffects::of(op);
    if (plan.initOp)
      kernelEffects.merge(BufferEffects::of(plan.initOp));
    SmallVector<Operation *> stay;
    while (true) {
      Value root = bufferRoot(current);
      Operation *next = last->getNextNode();
      for (; next; next = next->getNextNode())
        if (!isStructural(*next) && tessera::codegen::touches(next, root, false))
          break;
      auto consumer = dyn_cast_or_null<linalg::GenericOp>(next);
      if (!consumer || !consumer.hasPureBufferSemantics() || consumer.getNumDpsInits() != 1 ||
          consumer.getNumReductionLoops() != 0 || !isVectorizableBody(consumer))
        return;
      OpOperand *dest = consumer.getDpsInitOperand(0);
      AffineMap destMap = consumer.getMatchingIndexingMap(dest);
      // The consumer reads `current` once, element for element with what it writes.
      OpOperand *anchor = nullptr;
      for (OpOperand *input : consumer.getDpsInputOperands()) {
        if (bufferRoot(input->get()) != root)
          continue;
        if (anchor || !sameRegion(input->get(), current) ||
            consumer.getMatchingIndexingMap(input) != destMap)
          return;
        anchor = input;
      }
      bool inPlace = sameRegion(dest->get(), current);
      if (!anchor && !(inPlace && consumer.payloadUsesValueFromOperand(dest)))
        return;
      if (!inPlace && bufferRoot(dest->get()) == root)
        return;
      if (cast<MemRefType>(dest->get().getType()).getShape() !=
          cast<MemRefType>(current.getType()).getShape())
        return;
      // Moving the consumer up to the kernel: what runs in between and conflicts with it
      // (e.g. computes the batch-norm scale it reads) moves up before the kernel too, when
      // that is independent of the kernel and of everything it jumps over.
      Value destRoot = bufferRoot(dest->get());
      BufferEffects consumerEffects = BufferEffects::of(consumer);
      // Everything the consumer jumps over: the ops left between the kernel and the previous
      // stages, then those between the last stage and it.
      SmallVector<Operation *> jumped = stay;
      llvm::append_range(jumped, between(last, consumer));
      SmallVector<Operation *> hoistNow;
      SmallVector<Operation *> stayNow;
      for (Operation *mid : jumped) {
        BufferEffects m = BufferEffects::of(mid);
        if (!m.conflicts(consumerEffects)) {
          stayNow.push_back(mid);
          continue;
        }
        if (m.conflicts(kernelEffects) || !stageHoistable(mid, op, /*apply=*/false))
          return;
        for (Operation *x : stayNow)
          if (m.conflicts(BufferEffects::of(x)))
            return;
        hoistNow.push_back(mid);
      }
      Stage stage{consumer, {}};
      for (OpOperand &operand : consumer->getOpOperands()) {
        if (&operand == anchor || (inPlace && &operand == dest)) {
          stage.operands.push_back({Operand::Accumulator, {}, {}});
          continue;
        }
        if (&operand == dest && !consumer.payloadUsesValueFromOperand(dest)) {
          stage.operands.push_back({Operand::Accumulator, {}, {}}); // unused
          continue;
        }
        FailureOr<AffineMap> map = composeMap(consumer, destMap, plan.resultMap,
                                              consumer.getMatchingIndexingMap(&operand));
        if (failed(map))
          return;
        FailureOr<Operand> classified = classify(operand.get(), *map, plan.c.n);
        if (failed(classified))
          return;
        stage.operands.push_back(*classified);
      }
      // The stored value changes: whatever held the previous value must be dead.
      SmallVector<Value> pending = intermediates;
      if (!inPlace)
        pending.push_back(current);
      for (Value v : pending)
        if (bufferRoot(v) != destRoot && !deadAfter(bufferRoot(v), consumer))
          return;
      FailureOr<AffineMap> resultMap = composeMap(consumer, destMap, plan.resultMap, destMap);
      if (failed(resultMap) ||
          !tessera::codegen::hasUnitInnerStride(cast<MemRefType>(dest->get().getType())))
        return;
      // The kernel stores the result while it still reads its operands elsewhere: none may
      // live in the result's buffer, except a stage operand read at the element it replaces.
      Value result = dest->get();
      auto readsResult = [&](Value v) { return bufferRoot(v) == destRoot; };
      OpOperand *lhs = op.getDpsInputOperand(plan.c.lhs), *rhs = op.getDpsInputOperand(plan.c.rhs);
      if (readsResult(lhs->get()) || readsResult(rhs->get()) ||
          (plan.init == Plan::FromOperand && readsResult(plan.initOperand.buffer)))
        return;
      for (const Stage &s : plan.stages)
        for (const Operand &o : s.operands)
          if (o.kind != Operand::Accumulator && readsResult(o.buffer))
            return;
      for (const Operand &o : stage.operands)
        if (o.kind != Operand::Accumulator && readsResult(o.buffer) &&
            !(sameRegion(o.buffer, result) && o.map == *resultMap))
          return;
      // The hoisted ops run before the kernel: the consumer's operands may come from them.
      for (Operation *mid : hoistNow) {
        stageHoistable(mid, op, /*apply=*/true);
        mid->moveBefore(op);
        plan.hoisted.push_back(mid);
      }
      if (!stageHoistable(consumer, op, /*apply=*/false))
        return;
      for (const Operand &o : stage.operands)
        if (o.kind != Operand::Accumulator && !hoistable(o.buffer, op, /*apply=*/false))
          return;
      stageHoistable(consumer, op, /*apply=*/true);
      for (const Operand &o : stage.operands)
        if (o.kind != Operand::Accumulator)
          hoistable(o.buffer, op, /*apply=*/true);
      stay = stayNow;
      kernelEffects.merge(consumerEffects);
      intermediates = pending;
      plan.stages.push_back(std::move(stage));
      plan.result = dest->get();
      plan.resultMap = *resultMap;
      current = dest->get();
      last = consumer;
    }
  }

  //===--------------------------------------------------------------------------------===//
  // Emission
  //===--------------------------------------------------------------------------------===//

  struct Emitter {
    Plan &plan;
    OpBuilder &b;
    Location loc;
    VectorType vecType;

    Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }

    /// The indices `map` gives for the loop values `loops` (one per loop dimension).
    SmallVector<Value> indices(AffineMap map, ArrayRef<Value> loops) {
      SmallVector<Value> result;
      for (AffineExpr e : map.getResults()) {
        if (auto dim = dyn_cast<AffineDimExpr>(e)) {
          result.push_back(loops[dim.getPosition()]);
          continue;
        }
        if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
          result.push_back(index(cst.getValue()));
          continue;
        }
        result.push_back(
            b.create<affine::AffineApplyOp>(loc, AffineMap::get(map.getNumDims(), 0, e), loops));
      }
      return result;
    }

    Value mask(int64_t valid) {
      SmallVector<bool> bits(vecType.getNumElements(), false);
      for (int64_t i = 0; i < valid; ++i)
        bits[i] = true;
      auto type = VectorType::get(vecType.getShape(), b.getI1Type());
      return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, ArrayRef<bool>(bits)));
    }

    Value zeros() {
      return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(vecType, 0.0f));
    }

    /// Loads a vector (masked to `valid` lanes when fewer than all) or a broadcast scalar.
    Value load(const Operand &operand, ArrayRef<Value> loops, int64_t valid) {
      SmallVector<Value> at = indices(operand.map, loops);
      if (operand.kind == Operand::Scalar) {
        Value s = b.create<memref::LoadOp>(loc, operand.buffer, at);
        return b.create<vector::BroadcastOp>(loc, vecType, s);
      }
      if (valid < vecType.getNumElements())
        return b.create<vector::MaskedLoadOp>(loc, vecType, operand.buffer, at, mask(valid),
                                              zeros());
      return b.create<vector::LoadOp>(loc, vecType, operand.buffer, at);
    }

    void store(Value v, Value buffer, AffineMap map, ArrayRef<Value> loops, int64_t valid) {
      SmallVector<Value> at = indices(map, loops);
      if (valid < vecType.getNumElements())
        b.create<vector::MaskedStoreOp>(loc, buffer, at, mask(valid), v);
      else
        b.create<vector::StoreOp>(loc, v, buffer, at);
    }

    /// The stage's body on vectors.
    Value applyStage(Stage &stage, Value acc, ArrayRef<Value> loops, int64_t valid) {
      Block &body = stage.op.getRegion().front();
      IRMapping mapping;
      for (auto [arg, operand] : llvm::zip(body.getArguments(), stage.operands))
        mapping.map(arg, operand.kind == Operand::Accumulator ? acc : load(operand, loops, valid));
      for (Operation &inner : body.without_terminator()) {
        if (auto cst = dyn_cast<arith::ConstantOp>(inner)) {
          auto type = VectorType::get(vecType.getShape(), cst.getType());
          mapping.map(cst.getResult(), b.create<arith::ConstantOp>(
                                           loc, DenseElementsAttr::get(type, cst.getValue())));
          continue;
        }
        for (Value v : inner.getOperands()) {
          if (mapping.contains(v))
            continue;
          // A scalar from outside the body (a constant captured by the generic).
          auto type = VectorType::get(vecType.getShape(), v.getType());
          mapping.map(v, b.create<vector::BroadcastOp>(loc, type, v));
        }
        Operation *clone = b.clone(inner, mapping);
        for (OpResult r : clone->getResults())
          r.setType(VectorType::get(vecType.getShape(), r.getType()));
      }
      return mapping.lookup(body.getTerminator()->getOperand(0));
    }

    /// The values of the register-blocked loops at flattened row `r` (outermost first).
    SmallVector<Value> rowLoops(Value r) {
      Contraction &c = plan.c;
      if (c.m.size() == 1)
        return {r};
      SmallVector<Value> values(c.m.size());
      Value rest = r;
      for (size_t j = c.m.size(); j-- > 0;) {
        int64_t extent = c.ranges[c.m[j]];
        values[j] = j ? b.create<arith::RemUIOp>(loc, rest, index(extent)).getResult() : rest;
        if (j)
          rest = b.create<arith::DivUIOp>(loc, rest, index(extent));
      }
      return values;
    }

    /// One register block: `rows` rows from `m0`, `vectors` vectors of the column block
    /// starting at `n0` (the last with `lastValid` lanes), for the outer loop values in
    /// `loops`.
    void block(SmallVector<Value> loops, Value panel, Value n0, Value m0, int64_t rows,
               int64_t vectors, int64_t lastValid) {
      Contraction &c = plan.c;
      int64_t lanes = plan.lanes;
      auto validOf = [&](int64_t v) { return v + 1 == vectors ? lastValid : lanes; };
      // The row loops' values of row m0 + i of the block, computed once per block row.
      SmallVector<SmallVector<Value>> rowValues;
      for (int64_t i = 0; i < rows; ++i)
        rowValues.push_back(
            rowLoops(i ? b.create<arith::AddIOp>(loc, m0, index(i)).getResult() : m0));
      auto atRow = [&](SmallVector<Value> at, int64_t i) {
        for (auto [d, v] : llvm::zip(c.m, rowValues[i]))
          at[d] = v;
        return at;
      };
      auto atElement = [&](int64_t i, int64_t v) {
        SmallVector<Value> at = atRow(loops, i);
        at[c.n] = b.create<arith::AddIOp>(loc, n0, index(v * lanes));
        return at;
      };
      // Initial accumulators.
      SmallVector<Value> accs;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t v = 0; v < vectors; ++v) {
          SmallVector<Value> at = atElement(i, v);
          switch (plan.init) {
          case Plan::FromConstant:
            accs.push_back(b.create<vector::BroadcastOp>(loc, vecType, plan.initConstant));
            break;
          case Plan::FromOperand:
            accs.push_back(load(plan.initOperand, at, validOf(v)));
            break;
          case Plan::FromOutput: {
            OpOperand *out = c.op.getDpsInitOperand(0);
            Operand o{Operand::Vector, out->get(), c.op.getMatchingIndexingMap(out)};
            accs.push_back(load(o, at, validOf(v)));
            break;
          }
          }
        }

      OpOperand *lhs = c.op.getDpsInputOperand(c.lhs);
      OpOperand *rhs = c.op.getDpsInputOperand(c.rhs);
      AffineMap lhsMap = c.op.getMatchingIndexingMap(lhs);
      AffineMap rhsMap = c.op.getMatchingIndexingMap(rhs);
      // The reduction loops, outermost first, carrying the accumulators.
      std::function<SmallVector<Value>(unsigned, SmallVector<Value> &, ValueRange)> reduce =
          [&](unsigned level, SmallVector<Value> &at, ValueRange acc) -> SmallVector<Value> {
        if (level == c.reductions.size()) {
          SmallVector<Value> bv;
          for (int64_t v = 0; v < vectors; ++v) {
            if (c.panel) {
              SmallVector<Value> idx;
              for (auto [k, e] : llvm::enumerate(rhsMap.getResults())) {
                if (!e.isFunctionOfDim(c.n)) {
                  idx.push_back(indices(AffineMap::get(rhsMap.getNumDims(), 0, e), at)[0]);
                  continue;
                }
                bool last = k + 1 == rhsMap.getNumResults();
                idx.push_back(last ? index(v * lanes) : panel);
              }
              bv.push_back(b.create<vector::LoadOp>(loc, vecType, rhs->get(), idx));
            } else {
              SmallVector<Value> atN = at;
              atN[c.n] = b.create<arith::AddIOp>(loc, n0, index(v * lanes));
              bv.push_back(load(Operand{Operand::Vector, rhs->get(), rhsMap}, atN, validOf(v)));
            }
          }
          SmallVector<Value> next(acc.begin(), acc.end());
          for (int64_t i = 0; i < rows; ++i) {
            Value a = b.create<memref::LoadOp>(loc, lhs->get(), indices(lhsMap, atRow(at, i)));
            Value splat = b.create<vector::BroadcastOp>(loc, vecType, a);
            // mul + add that LLVM may contract: one FMA where the target has FMA, a correct
            // (unfused) pair where it does not.
            auto contract =
                arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
            for (int64_t v = 0; v < vectors; ++v) {
              Value p = b.create<arith::MulFOp>(loc, splat, bv[v], contract);
              next[i * vectors + v] =
                  b.create<arith::AddFOp>(loc, next[i * vectors + v], p, contract);
            }
          }
          return next;
        }
        unsigned d = c.reductions[level];
        if (c.ranges[d] == 1) {
          at[d] = index(0);
          return reduce(level + 1, at, acc);
        }
        auto loop = b.create<scf::ForOp>(loc, index(0), index(c.ranges[d]), index(1), acc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        at[d] = loop.getInductionVar();
        SmallVector<Value> inner = reduce(level + 1, at, loop.getRegionIterArgs());
        b.create<scf::YieldOp>(loc, inner);
        return SmallVector<Value>(loop.getResults().begin(), loop.getResults().end());
      };
      SmallVector<Value> at = loops;
      for (unsigned d : c.reductions)
        at[d] = index(0);
      accs = reduce(0, at, accs);

      // Epilogue: the stages on each accumulator, then one store.
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t v = 0; v < vectors; ++v) {
          SmallVector<Value> el = atElement(i, v);
          Value value = accs[i * vectors + v];
          for (Stage &stage : plan.stages)
            value = applyStage(stage, value, el, validOf(v));
          store(value, plan.result, plan.resultMap, el, validOf(v));
        }
    }

    /// Every column block of one register block of rows (rows-outer order).
    void allPanels(SmallVector<Value> loops, Value m0, int64_t rows, int64_t panels,
                   int64_t edgeColumns) {
      int64_t vectors = plan.columns / plan.lanes;
      int64_t full = edgeColumns == plan.columns ? panels : panels - 1;
      if (full > 0) {
        auto pl = b.create<scf::ForOp>(loc, index(0), index(full), index(1));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(pl.getBody());
        Value panel = pl.getInductionVar();
        block(loops, panel, b.create<arith::MulIOp>(loc, panel, index(plan.columns)), m0, rows,
              vectors, plan.lanes);
      }
      if (full < panels) {
        int64_t edgeVectors = ceilDiv(edgeColumns, plan.lanes);
        int64_t edgeLast = edgeColumns - (edgeVectors - 1) * plan.lanes;
        block(loops, index(panels - 1), index((panels - 1) * plan.columns), m0, rows, edgeVectors,
              edgeLast);
      }
    }

    /// Calls `body(m0, rows)` for every register block of rows of row chunk `chunk` (all
    /// rows when there is one chunk): full blocks in a loop, the remainder block (in the last
    /// chunk) after it.
    void forRowBlocks(Value chunk, function_ref<void(Value, int64_t)> body) {
      int64_t m = plan.c.rows(), rows = plan.rows;
      int64_t fullEnd = m / rows * rows, rest = m % rows, span = plan.blocksPerChunk * rows;
      Value start = index(0), end = index(fullEnd);
      if (plan.chunks > 1) {
        start = b.create<arith::MulIOp>(loc, chunk, index(span));
        end = b.create<arith::MinSIOp>(loc, b.create<arith::AddIOp>(loc, start, index(span)),
                                       index(fullEnd));
      }
      if (plan.chunks == 1 && fullEnd == rows) {
        body(index(0), rows);
      } else if (fullEnd > 0) {
        auto loop = b.create<scf::ForOp>(loc, start, end, index(rows));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        body(loop.getInductionVar(), rows);
      }
      if (!rest)
        return;
      if (plan.chunks == 1) {
        body(index(fullEnd), rest);
        return;
      }
      Value last =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, chunk, index(plan.chunks - 1));
      auto branch = b.create<scf::IfOp>(loc, last, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(branch.thenBlock());
      body(index(fullEnd), rest);
    }

    /// One rows-outer task: the register blocks of row chunk `chunk`, each against every
    /// column block.
    void rowsOuterTask(SmallVector<Value> loops, Value chunk, int64_t panels, int64_t edgeColumns) {
      forRowBlocks(
          chunk, [&](Value m0, int64_t rows) { allPanels(loops, m0, rows, panels, edgeColumns); });
    }

    /// The row blocks of one task: column block `panel`, row chunk `chunk`.
    void task(SmallVector<Value> loops, Value panel, Value chunk, int64_t vectors,
              int64_t lastValid) {
      Value n0 = b.create<arith::MulIOp>(loc, panel, index(plan.columns));
      if (plan.c.m.empty()) {
        block(loops, panel, n0, index(0), 1, vectors, lastValid);
        return;
      }
      forRowBlocks(chunk, [&](Value m0, int64_t rows) {
        block(loops, panel, n0, m0, rows, vectors, lastValid);
      });
    }
  };

  void emit(Plan &plan) {
    Contraction &c = plan.c;
    linalg::GenericOp op = c.op;
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto vecType = VectorType::get({plan.lanes}, b.getF32Type());
    int64_t n = c.ranges[c.n];
    int64_t panels = ceilDiv(n, plan.columns);
    int64_t edgeColumns = n - (panels - 1) * plan.columns;
    SmallVector<Value> lbs, ubs, steps;
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    // Unit loops stay out of the nest (canonicalization would rebuild the loop without them
    // and drop its attributes).
    SmallVector<unsigned> outer;
    for (unsigned d : c.outer)
      if (c.ranges[d] != 1)
        outer.push_back(d);
    for (unsigned d : outer) {
      lbs.push_back(zero);
      ubs.push_back(b.create<arith::ConstantIndexOp>(loc, c.ranges[d]));
      steps.push_back(one);
    }
    lbs.push_back(zero);
    ubs.push_back(
        b.create<arith::ConstantIndexOp>(loc, plan.rowsOuter ? plan.chunks : panels * plan.chunks));
    steps.push_back(one);
    auto loop = b.create<scf::ParallelOp>(loc, lbs, ubs, steps);
    bool conv = llvm::any_of(op.getMatchingIndexingMap(op.getDpsInputOperand(c.lhs)).getResults(),
                             [](AffineExpr e) { return !isa<AffineDimExpr>(e); });
    loop->setAttr(tessera::kKernelAttr, b.getStringAttr(conv ? "conv" : "gemm"));
    int64_t macs = 1;
    for (int64_t r : c.ranges)
      macs *= r;
    loop->setAttr(tessera::kFlopsAttr, b.getI64IntegerAttr(2 * macs));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Emitter e{plan, b, loc, vecType};
      SmallVector<Value> loops(op.getNumLoops(), e.index(0));
      for (auto [i, d] : llvm::enumerate(outer))
        loops[d] = loop.getInductionVars()[i];
      Value taskIndex = loop.getInductionVars().back();
      if (plan.rowsOuter) {
        e.rowsOuterTask(loops, taskIndex, panels, edgeColumns);
      } else {
        // Consecutive tasks share a column block: task = panel * chunks + chunk.
        Value panel = taskIndex, chunk = e.index(0);
        if (plan.chunks > 1) {
          panel = b.create<arith::DivUIOp>(loc, taskIndex, e.index(plan.chunks));
          chunk = b.create<arith::RemUIOp>(loc, taskIndex, e.index(plan.chunks));
        }
        int64_t vectors = plan.columns / plan.lanes;
        if (edgeColumns == plan.columns) {
          e.task(loops, panel, chunk, vectors, plan.lanes);
        } else {
          Value isEdge =
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, panel, e.index(panels - 1));
          int64_t edgeVectors = ceilDiv(edgeColumns, plan.lanes);
          int64_t edgeLast = edgeColumns - (edgeVectors - 1) * plan.lanes;
          auto branch = b.create<scf::IfOp>(loc, isEdge, /*withElseRegion=*/true);
          b.setInsertionPointToStart(branch.thenBlock());
          e.task(loops, panel, chunk, edgeVectors, edgeLast);
          b.setInsertionPointToStart(branch.elseBlock());
          e.task(loops, panel, chunk, vectors, plan.lanes);
        }
      }
    }
    if (plan.initOp)
      plan.initOp->erase();
    for (const Stage &stage : plan.stages)
      stage.op->erase();
    op->erase();
  }
};

} // namespace
