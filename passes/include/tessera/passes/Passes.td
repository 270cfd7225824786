//===- Passes.td - tess-level passes ---------------------------------------===//

#ifndef TESSERA_PASSES_TD
#define TESSERA_PASSES_TD

include "mlir/Pass/PassBase.td"

def TessToLinalg : Pass<"tess-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower tess ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every tess op becomes linalg ops on tensors: elementwise ops and broadcasting become
    linalg.generic with broadcasting indexing maps (scalar constants are folded into the
    generic's body), contractions become linalg.generic with reduction iterators, reductions
    and normalizations become reduction generics followed by elementwise ones, and data
    movement becomes linalg.transpose / tensor.extract_slice / insert_slice /
    collapse_shape + expand_shape.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect"
  ];
  let statistics = [
    Statistic<"numLoweredOps", "lowered-ops", "Number of tess ops lowered">,
  ];
}

def FuseElementwise : Pass<"tessera-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse elementwise producers into their consumers without recomputation";
  let description = [{
    Merges an elementwise linalg.generic producer into the linalg.generic that consumes it,
    so the intermediate tensor is never written: bias adds, activations, residual adds and
    normalization steps collapse into few dispatches. A producer is fused only when it has a
    single use and the consumer reads it through a permutation of all its loops, so each
    element is still computed once (an activation is not recomputed for every column of a
    following matmul).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numFused", "fused-producers", "Number of producers fused into consumers">,
  ];
}

def FuseAttention : Pass<"tessera-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Replace matmul -> scale -> bias/mask -> softmax -> matmul by tess.attention";
  let description = [{
    Matches softmax(s) . V along the last axis where s is built from S = Q . K^T (a matmul with
    transpose_rhs) by multiplying or dividing by scalar constants, adding or subtracting
    tensors that broadcast to the scores (positional or per-key biases, e.g. the -|k|^2 of a
    distance similarity), and masking with `where(j <= i, s, very negative)` (a causal mask
    recognized from its iota comparison, so it is never materialized). Every intermediate
    must have one use. The chain becomes one tess.attention, lowered to a streaming
    online-softmax kernel: the score matrix is never stored.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numFused", "fused-attentions", "Number of attentions fused">,
  ];
}

#endif // TESSERA_PASSES_TD
