// expose-attention: the probabilities of every fused attention, recomputed beside it and
// returned as graph outputs, for attention-map pictures.
#include "tessera/ir/GraphAttributes.h"
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

#include <limits>
#include <map>
#include <optional>

namespace tessera {
#define GEN_PASS_DEF_EXPOSEATTENTION
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using namespace tessera;

namespace {

/// The names of the parameters closest to `v` up its def-use chains: those reached in the
/// fewest steps (the projection producing q or k, not the norm before it).
SmallVector<StringRef> nearestParameters(Value v, func::FuncOp graph) {
  SmallVector<Value> frontier{v};
  llvm::DenseSet<Value> seen{v};
  while (!frontier.empty()) {
    SmallVector<StringRef> names;
    SmallVector<Value> next;
    for (Value x : frontier) {
      if (auto arg = dyn_cast<BlockArgument>(x)) {
        if (arg.getOwner()->getParentOp() == graph.getOperation())
          if (auto name = graph.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr))
            names.push_back(name.getValue());
        continue;
      }
      for (Value operand : x.getDefiningOp()->getOperands())
        if (seen.insert(operand).second)
          next.push_back(operand);
    }
    if (!names.empty())
      return names;
    frontier = std::move(next);
  }
  return {};
}

/// The longest common prefix of dotted names, in whole components; a lone parameter name
/// loses its last component (qkv.weight -> qkv), since it names a tensor, not a layer.
std::string commonModulePath(ArrayRef<StringRef> names) {
  if (names.empty())
    return "";
  SmallVector<StringRef> prefix;
  names.front().split(prefix, '.');
  for (StringRef name : names.drop_front()) {
    SmallVector<StringRef> parts;
    name.split(parts, '.');
    size_t n = 0;
    while (n < prefix.size() && n < parts.size() && prefix[n] == parts[n])
      ++n;
    prefix.resize(n);
  }
  if (llvm::all_of(names, [&](StringRef n) { return n == names.front(); }) && prefix.size() > 1)
    prefix.pop_back();
  return llvm::join(prefix, ".");
}

/// How a sequence axis lies on the input picture: `prefix` tokens (ViT's class token), then
/// rows x cols positions in row-major order.
struct SequenceGrid {
  int64_t prefix = 0, rows = 0, cols = 0;
};

/// Follows a sequence axis up the graph to where it was made by flattening two spatial axes
/// (reshape [.., h, w, ..] -> [.., h * w, ..]), through ops that keep the axis as it is
/// (elementwise, norms, projections, head splits and permutations, attention rows) and through
/// a concatenation that puts tokens in front of it. Axes made otherwise (learned queries, a
/// full(), a parameter) lie on no grid.
class GridTracer {
public:
  std::optional<SequenceGrid> trace(Value v, int64_t axis) {
    // Each step is one op up the graph; a chain longer than any model's gives up rather than
    // exhaust the stack (without remembering the give-up: a shorter path may reach v later).
    if (depth >= kMaxDepth)
      return std::nullopt;
    auto key = std::make_pair(v.getAsOpaquePointer(), axis);
    auto [it, inserted] = memo.try_emplace(key, std::nullopt);
    if (!inserted)
      return it->second; // known, or being traced (a cycle cannot happen; stay safe anyway)
    ++depth;
    std::optional<SequenceGrid> grid = compute(v, axis);
    --depth;
    memo[key] = grid;
    return grid;
  }

private:
  static constexpr unsigned kMaxDepth = 4000;
  static constexpr int64_t kMaxPrefixTokens = 16;
  unsigned depth = 0;
  std::map<std::pair<void *, int64_t>, std::optional<SequenceGrid>> memo;

  static ArrayRef<int64_t> shapeOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  }

  /// The operand axis that result axis `axis` reads under numpy broadcasting, unless the
  /// operand broadcasts along it.
  std::optional<SequenceGrid> throughBroadcast(Value operand, Value result, int64_t axis) {
    ArrayRef<int64_t> in = shapeOf(operand), out = shapeOf(result);
    int64_t a = axis - int64_t(out.size() - in.size());
    if (a < 0 || in[a] != out[axis])
      return std::nullopt;
    return trace(operand, a);
  }

  std::optional<SequenceGrid> firstOf(ValueRange operands, Value result, int64_t axis) {
    for (Value operand : operands)
      if (isa<RankedTensorType>(operand.getType()))
        if (auto grid = throughBroadcast(operand, result, axis))
          return grid;
    return std::nullopt;
  }

  std::optional<SequenceGrid> compute(Value v, int64_t axis) {
    Operation *op = v.getDefiningOp();
    if (!op)
      return std::nullopt;
    int64_t rank = shapeOf(v).size();
    if (auto reshape = dyn_cast<tess::ReshapeOp>(op))
      return throughReshape(reshape, axis);
    if (auto transpose = dyn_cast<tess::TransposeOp>(op))
      return trace(transpose.getInput(), transpose.getPermutation()[axis]);
    if (auto concat = dyn_cast<tess::ConcatOp>(op)) {
      if (int64_t(concat.getAxis()) != axis)
        return firstOf(concat.getInputs(), v, axis);
      // A few tokens in front of a grid: ViT's class token (and distillation token). Many are
      // no tokens but another sequence (a second grid), which a picture cannot show.
      int64_t prefix = 0;
      for (Value in : concat.getInputs().drop_back())
        prefix += shapeOf(in)[axis];
      if (prefix > kMaxPrefixTokens)
        return std::nullopt;
      auto grid = trace(concat.getInputs().back(), axis);
      if (!grid)
        return std::nullopt;
      grid->prefix += prefix;
      return grid;
    }
    if (auto slice = dyn_cast<tess::SliceOp>(op)) {
      if (slice.getStarts()[axis] != 0 || slice.getStrides()[axis] != 1 ||
          slice.getLimits()[axis] != shapeOf(slice.getInput())[axis])
        return std::nullopt;
      return trace(slice.getInput(), axis);
    }
    if (auto matmul = dyn_cast<tess::MatmulOp>(op)) {
      if (axis == rank - 1) {
        Value rhs = matmul.getRhs();
        return trace(rhs, shapeOf(rhs).size() - (matmul.getTransposeRhs() ? 2 : 1));
      }
      Value lhs = matmul.getLhs();
      if (axis == rank - 2)
        return trace(lhs, shapeOf(lhs).size() - (matmul.getTransposeLhs() ? 1 : 2));
      return firstOf({lhs, matmul.getRhs()}, v, axis);
    }
    if (auto attention = dyn_cast<tess::AttentionOp>(op))
      return axis == rank - 1 ? std::nullopt : trace(attention.getQ(), axis);
    if (auto linear = dyn_cast<tess::LinearOp>(op))
      return axis == rank - 1 ? std::nullopt : trace(linear.getInput(), axis);
    if (auto norm = dyn_cast<tess::LayerNormOp>(op))
      return trace(norm.getInput(), axis);
    if (auto softmax = dyn_cast<tess::SoftmaxOp>(op))
      return int64_t(softmax.getAxis()) == axis ? std::nullopt : trace(softmax.getInput(), axis);
    if (isa<tess::AddOp, tess::SubOp, tess::MulOp, tess::DivOp, tess::MaxOp, tess::MinOp,
            tess::PowOp, tess::SelectOp, tess::BroadcastToOp, tess::CastOp, tess::GeluOp>(op) ||
        op->hasTrait<OpTrait::SameOperandsAndResultType>())
      return firstOf(op->getOperands(), v, axis);
    return std::nullopt;
  }

  /// A result axis made of exactly two input axes is a grid of them; one made of one input
  /// axis is that axis.
  std::optional<SequenceGrid> throughReshape(tess::ReshapeOp reshape, int64_t axis) {
    ArrayRef<int64_t> in = shapeOf(reshape.getInput()), out = shapeOf(reshape.getResult());
    int64_t before = 1;
    for (int64_t d = 0; d < axis; ++d)
      before *= out[d];
    int64_t first = 0, product = 1;
    while (first < int64_t(in.size()) && product < before)
      product *= in[first++];
    if (product != before)
      return std::nullopt;
    // Size-1 input axes in front of the run belong to no output axis in particular.
    while (first < int64_t(in.size()) && in[first] == 1 && out[axis] != 1)
      ++first;
    int64_t last = first, size = first < int64_t(in.size()) ? in[first] : 0;
    while (size < out[axis] && last + 1 < int64_t(in.size()))
      size *= in[++last];
    if (size != out[axis])
      return std::nullopt;
    if (last == first)
      return trace(reshape.getInput(), first);
    if (last == first + 1)
      return SequenceGrid{0, in[first], in[last]};
    return std::nullopt;
  }
};

ArrayAttr gridAttr(Builder &b, std::optional<SequenceGrid> grid) {
  if (!grid)
    return ArrayAttr();
  return b.getI64ArrayAttr({grid->prefix, grid->rows, grid->cols});
}

Value scalarF32(OpBuilder &b, Location loc, float value) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  return b.create<tess::ConstantOp>(loc, DenseElementsAttr::get(type, value));
}

/// softmax(scale * q . k^T + biases) with keys after the query masked out when causal.
Value probabilities(OpBuilder &b, tess::AttentionOp attention) {
  Location loc = attention.getLoc();
  Value s = b.create<tess::MatmulOp>(loc, attention.getQ(), attention.getK(),
                                     /*transpose_lhs=*/false, /*transpose_rhs=*/true);
  double scale = attention.getScale().convertToDouble();
  if (scale != 1.0)
    s = b.create<tess::MulOp>(loc, s, scalarF32(b, loc, float(scale)));
  for (Value bias : attention.getBiases())
    s = b.create<tess::AddOp>(loc, s, bias);
  auto scores = cast<RankedTensorType>(s.getType());
  int64_t rank = scores.getRank();
  if (attention.getCausal()) {
    auto indices = RankedTensorType::get(scores.getShape().take_back(2), b.getI64Type());
    Value j = b.create<tess::IotaOp>(loc, indices, b.getI64IntegerAttr(1));
    Value i = b.create<tess::IotaOp>(loc, indices, b.getI64IntegerAttr(0));
    Value keep = b.create<tess::CompareOp>(loc, j, i, b.getStringAttr("le"));
    s = b.create<tess::SelectOp>(loc, keep, s,
                                 scalarF32(b, loc, -std::numeric_limits<float>::infinity()));
  }
  return b.create<tess::SoftmaxOp>(loc, s.getType(), s, b.getI64IntegerAttr(rank - 1));
}

struct ExposeAttentionPass : tessera::impl::ExposeAttentionBase<ExposeAttentionPass> {
  void runOnOperation() override {
    func::FuncOp graph = getOperation();
    if (graph.isExternal() || graph.getNumResults() == 0 || !graph.getResultAttr(0, kOutputAttr))
      return; // only the graph function has named outputs
    SmallVector<tess::AttentionOp> attentions;
    graph.walk([&](tess::AttentionOp op) {
      if (op.getNumResults() == 1)
        attentions.push_back(op);
    });
    llvm::StringSet<> taken;
    for (unsigned i = 0; i < graph.getNumResults(); ++i)
      if (auto name = graph.getResultAttrOfType<StringAttr>(i, kOutputAttr))
        taken.insert(name.getValue());

    auto ret = cast<func::ReturnOp>(graph.getBody().front().getTerminator());
    GridTracer grids;
    Builder attrs(graph.getContext());
    SmallVector<Attribute> maps;
    if (auto existing = graph->getAttrOfType<ArrayAttr>(kAttentionMapsAttr))
      llvm::append_range(maps, existing);
    for (tess::AttentionOp attention : attentions) {
      SmallVector<StringRef> near = nearestParameters(attention.getQ(), graph);
      llvm::append_range(near, nearestParameters(attention.getK(), graph));
      std::string base = commonModulePath(near);
      if (base.empty())
        base = "graph";
      // Layers with several attentions (FPT's mixture of softmaxes) number the later ones.
      std::string label = base;
      for (unsigned n = 2; taken.contains("attention:" + label); ++n)
        label = base + "#" + std::to_string(n);
      std::string name = "attention:" + label;
      taken.insert(name);

      OpBuilder b(ret);
      Value p = probabilities(b, attention);
      unsigned index = graph.getNumResults();
      ret->insertOperands(index, p);
      graph.insertResult(
          index, p.getType(),
          attrs.getDictionaryAttr({attrs.getNamedAttr(kOutputAttr, attrs.getStringAttr(name))}));

      Value q = attention.getQ(), k = attention.getK();
      SmallVector<NamedAttribute> map{attrs.getNamedAttr("output", attrs.getStringAttr(name)),
                                      attrs.getNamedAttr("layer", attrs.getStringAttr(label))};
      auto sequenceAxis = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank() - 2; };
      if (ArrayAttr g = gridAttr(attrs, grids.trace(q, sequenceAxis(q))))
        map.push_back(attrs.getNamedAttr("query_grid", g));
      if (ArrayAttr g = gridAttr(attrs, grids.trace(k, sequenceAxis(k))))
        map.push_back(attrs.getNamedAttr("key_grid", g));
      maps.push_back(attrs.getDictionaryAttr(map));
    }
    if (!maps.empty())
      graph->setAttr(kAttentionMapsAttr, attrs.getArrayAttr(maps));
    numExposed += attentions.size();
    tessera::reportStatistic(getArgument(), "attentions exposed", attentions.size());
  }
};

} // namespace
