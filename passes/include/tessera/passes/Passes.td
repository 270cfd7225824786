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

def PropagateLayouts : Pass<"tessera-propagate-layouts", "mlir::func::FuncOp"> {
  let summary = "Sink transposes through layout-agnostic ops so CNNs stay channels-last";
  let description = [{
    Convolutions are lowered channels-last between two transposes (NCHW -> NHWC before,
    NHWC -> NCHW after). This pass moves those transposes down the graph until they cancel:
    an elementwise generic (batch norm, activation, residual add) or a window reduction
    (pooling) reading transpose(x) reads x directly and produces its result in x's layout,
    followed by one transpose; zero/-inf padding (insert_slice into a fill) of a transposed
    tensor pads in the source's layout; transpose(transpose(x)) composes, and cancels to x
    when the permutations are inverse. Elementwise generics then iterate in the new layout
    (channels innermost). Between two convolutions no transpose is left; one remains where
    the channels-last region ends (e.g. before a reshape) and one at its start.
    Contractions and ops using linalg.index are left alone.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numRemoved", "removed-transposes", "Transposes removed">,
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
    following matmul). A fused body stays under max-body-ops operations: LLVM's instruction
    scheduler is quadratic in a basic block's size, and no real model's chains come close.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
  let options = [
    Option<"maxBodyOps", "max-body-ops", "unsigned", /*default=*/"256",
           "The most operations one fused body may hold">,
  ];
  let statistics = [
    Statistic<"numFused", "fused-producers", "Number of producers fused into consumers">,
  ];
}

def TileLambda : Pass<"tessera-tile-lambda", "mlir::func::FuncOp"> {
  let summary = "Read the lambda layer's relative position embeddings inside the contraction, tiled";
  let description = [{
    The global position lambda contracts E[n, m, k, u] = table[rel(n, m), k, u] with the
    values. Built naively, E has n^2 x n^2 x k x u elements (64 MB at 32 x 32). This pass fuses
    such a gather (an all-parallel linalg.generic whose body reads another tensor with
    tensor.extract) into the contraction that consumes it, so each embedding element is read
    from the table at the computed index when it is needed and E is never stored. It then
    tiles that contraction: the loops indexing the relative-index table are its query
    positions n (parallel, `query-tile`) and context positions m (reduction, `context-tile`),
    and the contraction applying the position lambdas to the queries is tiled along the same
    n. Tile sizes are recorded as `tess.tile_sizes` (one per loop, 0 = untiled) and applied
    after bufferization by tessera-tile-loops: workgroups share out query tiles, each tile
    walks the context in blocks. 0 disables a tile.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", "16",
           "Query positions per tile (0: untiled)">,
    Option<"contextTile", "context-tile", "int64_t", "64",
           "Context positions per reduction block (0: untiled)">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numFused", "fused-gathers", "Gathers read inside their contraction">,
    Statistic<"numTiled", "tiled-contractions", "Lambda contractions given tile sizes">,
  ];
}

def LayoutPatches : Pass<"tessera-layout-patches", "mlir::func::FuncOp"> {
  let summary = "Turn patch embedding (conv with kernel == stride, then tokens) into one GEMM";
  let description = [{
    Matches permute(reshape(conv2d(x, w, b)), [0, 2, 1]) where the convolution cuts x into
    non-overlapping P x Q patches (kernel == stride, no padding, dilation 1, groups 1) and the
    reshape flattens the patch grid: ViT's patch embedding. It becomes one contraction over
    (batch, patch, feature; channel, P, Q) that reads the image in place through an affine
    map (patch n at row n / w, column n % w) and writes the [B, N, D] token layout directly,
    accumulating into the bias broadcast over the tokens: no im2col copy and no transpose
    dispatch remain, and the contraction kernels turn it into one GEMM dispatch with the bias
    in its accumulators.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numRewritten", "patch-embeddings", "Patch embeddings turned into one GEMM">,
  ];
}

def GatherPatches : Pass<"tessera-gather-patches", "mlir::func::FuncOp"> {
  let summary = "Gathers read through reshapes, slices, unfolds and other gathers in place";
  let description = [{
    The tensor-level half of layout-patches. A tensor.extract (a gather inside a linalg body)
    from a tensor that only re-lays out another one reads the original at the composed index:
    through collapse_shape (delinearized index), extract_slice (offset index), and through an
    all-parallel generic that only moves data (unfold's patch extraction, another gather:
    its body is evaluated at the index, reading its inputs there). TTSR's texture transfer
    fold(gather(unfold(x))) then reads x in place and neither [B, C*k*k, L] tensor exists.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numFolded", "folded-reads", "Reads moved through a re-layout">,
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

def ExposeAttention : Pass<"tessera-expose-attention", "mlir::func::FuncOp"> {
  let summary = "Return every fused attention's probabilities as an extra graph output";
  let description = [{
    For pictures of what a model attends to (tessera run --attention-maps). A fused
    tess.attention never stores its probabilities, so for each one this pass computes them
    again beside it from the same q, k, scale, biases and causal mask:
    p = softmax(scale * q . k^T + biases), shape [B.., M, N], and returns p as a new result of
    the graph named `attention:LABEL`. LABEL is the longest common dotted prefix of the
    parameters nearest to the queries and keys (e.g. blocks.3.attn.qkv for timm's ViT,
    transformer.decoder.layers.0.multihead_attn for DETR), so a map names the layer it came
    from. The attention itself is left as it was: the outputs it feeds do not change. Runs
    after tessera-fuse-attention; attention that was not fused is not exposed. The grids are
    a heuristic: an axis counts as a picture's when it was made by merging two axes in a
    reshape, behind at most 16 leading tokens.
  }];
  let statistics = [
    Statistic<"numExposed", "exposed-attentions", "Attention probabilities returned">,
  ];
}

#endif // TESSERA_PASSES_TD
