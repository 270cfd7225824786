// Elementwise fusion with a cost rule: fuse only where it removes a buffer without making any
// element be computed more than once.
//
// Fusion is done per group, not per pair: every generic whose only use is a permutation-mapped
// input of another generic joins that consumer's group, and each group becomes one generic
// whose body clones each member's body once. Pairwise fusion (MLIR's FuseElementwiseOps)
// clones the growing fused body at every step, quadratic in a chain's length.
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

bool isElementwise(linalg::GenericOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() &&
         llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) { return m.isPermutation(); });
}

/// The producer that `use` reads, if it fuses into the consumer without recomputation: an
/// elementwise generic with one result, used once, read through a permutation (a projected or
/// broadcasting read would recompute the producer per reuse), whose body ignores its output.
linalg::GenericOp fusibleProducer(OpOperand &use) {
  auto producer = use.get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!producer || !consumer || !producer->hasOneUse() || producer->getNumResults() != 1 ||
      !producer.hasPureTensorSemantics() || !consumer.hasPureTensorSemantics() ||
      !consumer.isDpsInput(&use) || !isElementwise(producer) ||
      producer->getBlock() != consumer->getBlock())
    return nullptr;
  if (!consumer.getMatchingIndexingMap(&use).isPermutation())
    return nullptr;
  OpOperand *init = producer.getDpsInitOperand(0);
  if (!producer.getMatchingBlockArgument(init).use_empty())
    return nullptr;
  return producer;
}

struct Member {
  linalg::GenericOp op;
  AffineMap rootToOwnLoops; // the root's loop indices -> this member's loop indices
};

size_t bodySize(linalg::GenericOp op) { return op.getBody()->getOperations().size() - 1; }

/// The group rooted at `root`, producers before their consumers (post-order), the root last,
/// with at most `maxBodyOps` body operations; fusible producers left out for that reason go to
/// `cutOff` (each roots a group of its own). Iterative: a chain can be 10^5 deep.
std::vector<Member> collectGroup(linalg::GenericOp root, size_t maxBodyOps,
                                 std::vector<linalg::GenericOp> &cutOff) {
  size_t size = bodySize(root);
  std::vector<Member> order;
  struct Frame {
    Member member;
    unsigned nextOperand;
  };
  std::vector<Frame> stack{
      {{root, AffineMap::getMultiDimIdentityMap(root.getNumLoops(), root.getContext())}, 0}};
  while (!stack.empty()) {
    Frame &top = stack.back();
    linalg::GenericOp op = top.member.op;
    if (top.nextOperand == unsigned(op.getNumDpsInputs())) {
      order.push_back(top.member);
      stack.pop_back();
      continue;
    }
    OpOperand *use = op.getDpsInputOperand(top.nextOperand++);
    linalg::GenericOp producer = fusibleProducer(*use);
    if (!producer)
      continue;
    if (size + bodySize(producer) > maxBodyOps) {
      cutOff.push_back(producer);
      continue;
    }
    size += bodySize(producer);
    // producer loops = inverse(producer output map) o (consumer's map of the operand) o
    // (root -> consumer loops).
    AffineMap producerOut = producer.getMatchingIndexingMap(producer.getDpsInitOperand(0));
    AffineMap toProducer = inversePermutation(producerOut)
                               .compose(op.getMatchingIndexingMap(use))
                               .compose(top.member.rootToOwnLoops);
    stack.push_back({{producer, toProducer}, 0});
  }
  return order;
}

/// Replaces the group by one generic with the root's loops, iterators and outputs.
void fuseGroup(const std::vector<Member> &group, RewriterBase &rewriter) {
  linalg::GenericOp root = group.back().op;
  llvm::DenseMap<Operation *, size_t> position;
  for (size_t i = 0; i < group.size(); ++i)
    position[group[i].op] = i;
  auto internalProducer = [&](OpOperand *use) -> Operation * {
    Operation *def = use->get().getDefiningOp();
    return def && position.count(def) && def != root.getOperation() ? def : nullptr;
  };

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (Member m : group)
    for (OpOperand *use : m.op.getDpsInputOperands())
      if (!internalProducer(use)) {
        inputs.push_back(use->get());
        maps.push_back(m.op.getMatchingIndexingMap(use).compose(m.rootToOwnLoops));
      }
  SmallVector<Value> outputs = root.getDpsInits();
  for (OpOperand &init : root.getDpsInitsMutable())
    maps.push_back(root.getMatchingIndexingMap(&init));

  rewriter.setInsertionPoint(root);
  auto fused = rewriter.create<linalg::GenericOp>(root.getLoc(), root->getResultTypes(), inputs,
                                                  outputs, maps, root.getIteratorTypesArray());
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  for (Value v : llvm::concat<Value>(inputs, outputs)) {
    argTypes.push_back(getElementTypeOrSelf(v.getType()));
    argLocs.push_back(v.getLoc());
  }
  Block *body = rewriter.createBlock(&fused.getRegion(), {}, argTypes, argLocs);
  rewriter.setInsertionPointToStart(body);

  std::vector<Value> yielded(group.size());
  unsigned nextInput = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    Member m = group[i];
    IRMapping mapping;
    for (OpOperand *use : m.op.getDpsInputOperands()) {
      BlockArgument arg = m.op.getMatchingBlockArgument(use);
      if (Operation *producer = internalProducer(use))
        mapping.map(arg, yielded[position[producer]]);
      else
        mapping.map(arg, body->getArgument(nextInput++));
    }
    if (i + 1 == group.size())
      for (auto [k, init] : llvm::enumerate(root.getDpsInitsMutable()))
        mapping.map(root.getMatchingBlockArgument(&init), body->getArgument(inputs.size() + k));
    for (Operation &op : m.op.getBody()->without_terminator()) {
      Operation *copy = rewriter.clone(op, mapping);
      // linalg.index counts this member's loops; in the fused op it names a root loop.
      if (auto index = dyn_cast<linalg::IndexOp>(copy)) {
        unsigned rootDim =
            cast<AffineDimExpr>(m.rootToOwnLoops.getResult(index.getDim())).getPosition();
        index.setDim(rootDim);
      }
    }
    auto yield = cast<linalg::YieldOp>(m.op.getBody()->getTerminator());
    if (i + 1 < group.size()) {
      yielded[i] = mapping.lookupOrDefault(yield.getOperand(0));
    } else {
      SmallVector<Value> values;
      for (Value v : yield.getOperands())
        values.push_back(mapping.lookupOrDefault(v));
      rewriter.create<linalg::YieldOp>(yield.getLoc(), values);
    }
  }
  rewriter.replaceOp(root, fused->getResults());
  for (size_t i = group.size() - 1; i-- > 0;)
    rewriter.eraseOp(group[i].op);
}

/// What MLIR's elementwise fusion set does besides its pairwise fusion: splat constants and
/// fills folded into bodies (which can make a producer elementwise), duplicate and dead
/// operands removed.
LogicalResult cleanUp(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *) { return false; });
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}

struct FuseElementwisePass : tessera::impl::FuseElementwiseBase<FuseElementwisePass> {
  using FuseElementwiseBase::FuseElementwiseBase;
  void runOnOperation() override {
    if (failed(cleanUp(getOperation())))
      return signalPassFailure();
    // Roots: generics that are not themselves a fusible producer of their single user.
    std::vector<linalg::GenericOp> roots;
    getOperation().walk([&](linalg::GenericOp op) {
      bool fusesIntoUser = op->hasOneUse() && fusibleProducer(*op->getUses().begin());
      if (!fusesIntoUser)
        roots.push_back(op);
    });
    std::vector<std::vector<Member>> groups;
    while (!roots.empty()) {
      linalg::GenericOp root = roots.back();
      roots.pop_back();
      std::vector<Member> group = collectGroup(root, maxBodyOps, roots);
      if (group.size() > 1)
        groups.push_back(std::move(group));
    }
    unsigned fused = 0;
    IRRewriter rewriter(&getContext());
    for (const std::vector<Member> &group : groups) {
      fuseGroup(group, rewriter);
      fused += group.size() - 1;
    }
    if (failed(cleanUp(getOperation())))
      return signalPassFailure();
    numFused += fused;
    tessera::reportStatistic(getArgument(), "producers fused", fused);
  }
};

} // namespace
