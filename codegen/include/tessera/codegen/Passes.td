//===- Passes.td - codegen passes (after bufferization) --------------------===//

#ifndef TESSERA_CODEGEN_PASSES_TD
#define TESSERA_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def ProtectGraphArgs : Pass<"tessera-protect-graph-args", "mlir::func::FuncOp"> {
  let summary = "Keep bufferization from writing into graph inputs and parameters";
  let description = [{
    Marks every argument of the graph function `bufferization.writable = false`. Inputs belong
    to the caller and parameters live in the read-only module mapping: an op that would update
    one in place (e.g. a contraction accumulating into a bias that needs no broadcast) gets a
    copy instead.
  }];
}

def LowerAttention : Pass<"tessera-lower-attention", "mlir::func::FuncOp"> {
  let summary = "Lower buffer-form tess.attention to a tiled online-softmax kernel";
  let description = [{
    When q, v and the output rows are contiguous and the keys are contiguous along the key
    index (tessera-transpose-attention-keys), the register-blocked kernel of
    codegen/lib/AttentionKernel.h: one task per (batch/head, tile of query rows); per chunk of
    keys, the tile's scores as a vector-FMA GEMM into a stack buffer, an online softmax update
    per row, and out += p v as a second GEMM; causal tiles stop at their last row. Otherwise
    one scf.parallel iteration per query row streaming over blocks of keys with a running
    maximum and sum (the output row is the accumulator). Either way no score matrix is
    stored: memory beyond the operands is one block of scores per task.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector register (0: always the scalar loops)">,
    Option<"rows", "rows", "int64_t", "0",
           "Query rows per register block (0: 6 with 16 lanes, else 4)">,
    Option<"queryBlocks", "query-blocks", "int64_t", "4",
           "Register blocks per query tile (they share each chunk of keys)">,
    Option<"keyChunk", "key-chunk", "int64_t", "256",
           "Keys per chunk of scores on the stack (a multiple of 4 x vector-width)">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numLowered", "lowered-attentions", "Attention ops lowered to loops">,
  ];
}

def InlineMath : Pass<"tessera-inline-math", "mlir::ModuleOp"> {
  let summary = "Replace f32 math.exp, math.erf and math.tanh by inline polynomials";
  let description = [{
    Scalar and vector f32 alike, so loops containing them vectorize (softmax, attention, GELU
    in row loops) and contraction epilogues stay in vector registers, instead of calling
    libm once per element.
    - exp(x) = 2^n p(r) with n = round(x log2 e), r = x - n ln 2 (two-part constant) and p a
      degree-6 Taylor polynomial in Horner form (relative error below 2e-7 on the clamped
      range [-87.3, 88.7]; inputs below it give 0, NaN propagates).
    - erf(x) = x P(x^2) / Q(x^2) on x clamped to [-4, 4] (P, Q degree 5, fitted for relative
      error; 3.6e-7 in float32, checked against double in the unit tests), clamped to [-1, 1].
    - tanh(x) = x (1 + x^2 R(x^2)) for |x| < 0.625 (R degree 4), else
      sign(x) (1 - 2 / (exp(2|x|) + 1)) with |x| clamped to 9 (relative error below 3e-7).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect"];
}

def SplitSharedFills : Pass<"tessera-split-shared-fills", "mlir::func::FuncOp"> {
  let summary = "Give every consumer of a shared linalg.fill its own fill";
  let description = [{
    CSE merges identical fills (e.g. the zero or -inf initial values of several reductions);
    each reduction then updates the shared value in place, so bufferization copies it once
    per consumer: a fill plus one copy dispatch per use. Cloning the fill for every use
    turns those copies into fills that bufferize in place.
  }];
  let statistics = [
    Statistic<"numSplit", "split-fills", "Fills cloned for an extra consumer">,
  ];
}

def FoldOutputCopies : Pass<"tessera-fold-output-copies", "mlir::func::FuncOp"> {
  let summary = "Compute graph outputs in place instead of copying them to the out-params";
  let description = [{
    After buffer-results-to-out-params, each result is a `memref.copy %alloc, %out`. When
    %alloc is a fresh allocation of the same type, uses of %alloc are redirected to %out and
    the allocation and copy disappear.
  }];
  let statistics = [
    Statistic<"numFolded", "folded-copies", "Number of output copies removed">,
  ];
}

def PlanMemory : Pass<"tessera-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Assign every intermediate buffer an offset in one arena";
  let description = [{
    Computes the live range of every memref.alloc (through the views derived from it) over
    the straight-line graph function and packs the buffers into one arena with a greedy
    best-offset-first placement, 64-byte aligned. Buffers whose live ranges do not overlap
    share memory. Each alloc gets `tess.arena_offset`; the function gets `tess.arena_size`.
  }];
  let statistics = [
    Statistic<"numBuffers", "buffers", "Number of buffers placed in the arena">,
    Statistic<"arenaBytes", "arena-bytes", "Arena size in bytes">,
    Statistic<"unsharedBytes", "unshared-bytes", "Sum of all buffer sizes (no reuse)">,
  ];
}

def AbsorbTransposes : Pass<"tessera-absorb-transposes", "mlir::func::FuncOp"> {
  let summary = "Replace transpose copies by permuted views (layout propagation on buffers)";
  let description = [{
    The buffer-level half of layout-patches. A linalg.transpose only changes a layout, so:
    when its destination is a fresh buffer written by nothing else and its source is not
    written while the destination is read, every reader reads the source through a
    memref.transpose view instead; otherwise, when its source is a fresh buffer written once
    and read only by the transpose, and the destination is untouched meanwhile, the producer
    writes the destination directly through the inverse permutation. Views of the replaced
    buffer are rebuilt on the permuted one (fails safely when a collapse would no longer be
    contiguous). Multi-head attention loses its q/k/v split and head merge copies.
  }];
  let options = [
    Option<"attentionViews", "attention-views", "bool", "true",
           "Let attention read q and v through permuted views (the vector attention kernel "
           "reads contiguous rows at any stride; the scalar loop prefers copies)">,
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numAbsorbed", "absorbed-transposes", "Transposes replaced by views">,
  ];
}

def PackWeights : Pass<"tessera-pack-weights", "mlir::func::FuncOp"> {
  let summary = "Read constant contraction operands from panel-packed copies";
  let description = [{
    For every contraction (`out += lhs * rhs` generic, see ContractionKernels) whose rhs, the
    operand read as vectors along the output's innermost dimension n, is a parameter of the
    graph (possibly through reshapes) indexed by a plain permutation of loops: the generic reads
    a packed copy instead, a new graph argument of shape
    [outer..., ceil(N / panel), reductions..., panel] (outer = rhs's other parallel loops,
    reductions in rhs's order), at (.., n floordiv panel, .., n mod panel). Each panel is
    `panel` consecutive columns for every reduction index, contiguous: the kernel streams it
    with one vector load per `vector-width` columns and never crosses a cache line it does not
    use. The argument carries `tess.packed` (the parameter, its logical shape, the permutation
    and the panel), from which the module writer stores the packed bytes (or the runtime packs
    a seeded fill once, at load). Columns past N are zero. Uses of one parameter with the same
    packing share one copy.
  }];
  let options = [
    Option<"panel", "panel", "int64_t", "0",
           "Columns per panel, a multiple of vector-width (0: 2 to 4 vectors, whichever pads N "
           "least)">,
    Option<"vectorWidth", "vector-width", "int64_t", "16", "f32 lanes per vector register">,
  ];
  let statistics = [
    Statistic<"numPacked", "packed-weights", "Packed copies of parameters">,
    Statistic<"numReads", "packed-reads", "Contractions reading a packed copy">,
  ];
}

def ContractionKernels : Pass<"tessera-contraction-kernels", "mlir::func::FuncOp"> {
  let summary = "Contractions as register-blocked vector FMA kernels with fused epilogues";
  let description = [{
    Every `out += lhs * rhs` generic of the bufferized graph whose output has a unit-stride
    innermost dimension n, whose rhs is read along n with unit stride (directly or packed by
    tessera-pack-weights) and whose lhs does not depend on n becomes one scf.parallel over
    the other parallel loops ("outer") and the tasks: the column blocks of n (`columns`
    wide), each split into chunks of rows when there are fewer than `min-tasks` of them
    (consecutive tasks share a column block, so a workgroup reuses its rhs panel). Inside,
    blocks of `rows` rows of the register-blocked loop m (lhs depends on it, rhs does not)
    keep rows x columns / vector-width accumulators in vector registers through all
    reduction loops: per reduction step, one vector load of rhs per vector and one broadcast
    of lhs per row feed rows x vectors FMAs. Row and column remainders get their own
    smaller blocks (masked loads and stores for the last vector).

    The op that initializes the output right before (a fill, or a broadcast such as a bias)
    becomes the accumulators' initial value; the elementwise generics that consume the output
    next (bias, activation, batch-norm scale/shift, residual add; arith and math ops only) run
    on the accumulators before the single store, as long as the values they replace are never
    read (`epilogues=false` keeps them separate). The loop carries `tess.kernel`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16", "f32 lanes per vector register">,
    Option<"rowBlock", "rows", "int64_t", "0",
           "Rows per register block (0: as many as the registers hold for the column block)">,
    Option<"columnBlock", "columns", "int64_t", "0",
           "Columns per register block when rhs is not packed (packed: the panel; 0: 2 to 4 "
           "vectors, whichever pads N least)">,
    Option<"minTasks", "min-tasks", "int64_t", "16",
           "Fewest parallel tasks per kernel: with fewer column blocks, the rows are split "
           "into chunks too">,
    Option<"rowsOuterMaxRhsBytes", "rows-outer-max-rhs-bytes", "int64_t", "393216",
           "Largest packed rhs for which tasks are row chunks walking every column block "
           "(the rhs stays in L2, each lhs block is reused from L1); 0: never">,
    Option<"fuseEpilogues", "epilogues", "bool", "true",
           "Fold the output's initialization and elementwise consumers into the kernel">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::vector::VectorDialect",
                           "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numKernels", "kernels", "Contractions turned into kernels">,
    Statistic<"numInits", "inits", "Output initializations folded into kernels">,
    Statistic<"numEpilogues", "epilogues", "Elementwise consumers folded into kernels">,
  ];
}

def TransposeAttentionKeys : Pass<"tessera-transpose-attention-keys", "mlir::func::FuncOp"> {
  let summary = "Give attention its keys contiguous along the key index";
  let description = [{
    For every buffer-form tess.attention of the graph whose keys k [B.., N, D] are contiguous
    along D, a linalg.transpose copies them into a new [B.., D, N] buffer, and the attention
    reads a memref.transpose view of it (same shape, unit stride along N). The attention
    kernel then loads the scores of 16 keys with one vector load per query dimension. The copy
    reads and writes N x D values per head, once, against the N x M x D multiply-adds of the
    scores.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numTransposed", "transposed-keys", "Attention keys transposed">,
  ];
}

def ComputeIntoPadding : Pass<"tessera-compute-into-padding", "mlir::func::FuncOp"> {
  let summary = "Compute values straight into the interior of the padded buffer they are copied to";
  let description = [{
    Zero (or -inf) padding bufferizes to a fill of the padded buffer and a copy of the value
    into its interior: a convolution's or pooling's input is written twice more than needed.
    When a fresh buffer is used only before such a copy (no views of it, dead after), every
    op writing or reading it uses the interior view of the padded buffer instead, the fill of
    the padded buffer moves before them, and it shrinks to the slabs around the interior.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numFolded", "folded-copies", "Copies into padded buffers removed">,
    Statistic<"numBorders", "border-fills", "Padding fills reduced to the border">,
  ];
}

def FuseRows : Pass<"tessera-fuse-rows", "mlir::func::FuncOp"> {
  let summary = "Run consecutive ops that exchange data row by row as one loop over rows";
  let description = [{
    Groups consecutive compute ops of the bufferized graph (linalg ops and copies) whose
    leading p loops are parallel with the same sizes (the "rows": tokens, pixels, channels)
    and that only exchange data row by row: every buffer written in the group is accessed by
    every member through plain row indices, either through the same view or through views
    whose row r is the same contiguous chunk of the buffer. The group becomes one
    scf.parallel over the rows whose body runs each member, in order, on rank-preserving row
    subviews (linalg.index of a row loop is offset by the row). Each op still computes each
    of its elements once; the intermediate values of a row are reused while still in cache,
    and the group becomes a single dispatch (a layer norm with the GEMM, bias and activation
    that follow it). p is the fewest leading loops giving at least `min-rows` rows.
  }];
  let options = [
    Option<"minRows", "min-rows", "int64_t", "16",
           "Fewest rows a row loop may have (fewer leaves workgroups idle)">,
    Option<"maxBroadcastBytes", "max-broadcast-bytes", "int64_t", "65536",
           "Largest buffer a member may re-read whole for every row unless its own loop "
           "nest already walks the rows outermost">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::linalg::LinalgDialect", "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numLoops", "row-loops", "Row loops formed">,
    Statistic<"numFused", "fused-ops", "Ops moved into row loops">,
  ];
}

def FormDispatches : Pass<"tessera-form-dispatches", "mlir::ModuleOp"> {
  let summary = "Outline each compute op of the graph into a dispatch function";
  let description = [{
    Every linalg op, memref.copy, tess.attention and row loop (scf.parallel, from
    tessera-fuse-rows) in the graph function moves into its own function
    `dN_<kind>` taking the op's memref operands as arguments, and is replaced by a func.call.
    The graph function is then a straight-line program of dispatches over buffers: the
    runtime's view of the model. Dispatch functions carry the unit attribute `tess.dispatch`.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numDispatches", "dispatches", "Number of dispatches formed">,
  ];
}

def TileLoops : Pass<"tessera-tile-loops", "mlir::func::FuncOp"> {
  let summary = "Tile the linalg ops that carry tess.tile_sizes";
  let description = [{
    Tensor-level passes choose tile sizes (tessera-tile-lambda) and record them on the op as
    `tess.tile_sizes`, one per loop, 0 for an untiled loop; the attribute survives
    bufferization. This pass tiles each marked op in the dispatch functions: an scf.parallel
    over the tiles of its parallel loops (what workgroups share out), scf.for over the tiles
    of its reduction loops, and the op on subviews inside. A linalg.transpose that moves the
    innermost dimension (both dims at least 32) is tiled 16 x 16 over the two dimensions
    involved, so that both buffers are read and written in whole cache lines.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect", "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numTiled", "tiled", "Ops tiled">,
  ];
}

def DistributeWorkgroups : Pass<"tessera-distribute-workgroups", "mlir::func::FuncOp"> {
  let summary = "Give each workgroup its slice of a dispatch's outermost parallel loop";
  let description = [{
    Adds (workgroup_id, workgroup_count) index arguments to every dispatch function. The first
    dimension of the outermost scf.parallel with a trip count above one is split into
    workgroup_count contiguous chunks, and workgroup workgroup_id runs one of them, so the
    kernel is correct for any count. Dispatches without such a loop run on workgroup 0 only.
    Sets `tess.workgroups` (the suggested count) on each dispatch.
  }];
  let options = [
    Option<"maxWorkgroups", "max-workgroups", "int64_t", "64",
           "Upper bound of the suggested workgroup count">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numDistributed", "distributed", "Dispatches split across workgroups">,
    Statistic<"numSerial", "serial", "Dispatches that run on one workgroup">,
  ];
}

def GpuLoops : Pass<"tessera-gpu-loops", "mlir::func::FuncOp"> {
  let summary = "Lower structured ops to per-thread loops with accumulators in registers (CUDA)";
  let description = [{
    Every linalg op (and memref.copy) of a dispatch function becomes one scf.parallel over its
    parallel dimensions, which tessera-outline-gpu-kernels hands to GPU threads: one iteration
    per output element. Reduction dimensions are scf.for loops inside it whose iter_args are
    the accumulators, stored once at the end. A linalg.fill right before a reduction into
    the same buffer (nothing that touches memory in between) becomes the accumulators' start
    value and goes away. Ops that are not statically shaped are an error.
    Register blocking: in a contraction (two inputs or more, a reduction of 8 elements or
    more), one thread computes `register-block` outputs along a parallel dimension that an
    input varying across threads does not depend on (a convolution's output channels, a
    matrix product's rows), reading that input once per reduction step for all of them.
  }];
  let options = [
    Option<"registerBlock", "register-block", "int64_t", "4",
           "Outputs per thread along the blocked dimension of a contraction (1: off)">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect", "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numLowered", "lowered", "Structured ops lowered">,
    Statistic<"numFillsFolded", "fills-folded", "Fills folded into accumulators">,
  ];
}

def GpuAttention : Pass<"tessera-gpu-attention", "mlir::func::FuncOp"> {
  let summary = "Lower buffer-form tess.attention to a FlashAttention-style GPU kernel (CUDA)";
  let description = [{
    Each static f32 attention whose feature sizes are at most 256 becomes a gpu.launch (which
    tessera-outline-gpu-kernels keeps as one kernel): work items (batch·head, tile of `rows`
    query rows) strided over the grid, one query row per thread with the scaled query and the
    output accumulator in private memory (registers), keys and values staged `key-tile` rows
    at a time in two shared-memory tiles by the whole block (threads along the operand's
    contiguous dimension, so loads coalesce; a tile staged along the keys gets one padding
    column against bank conflicts), and the online softmax applied
    per group of 8 keys (one rescale of the accumulator per group). Causal attention stops at
    each query tile's last row; biases are read per score. Other attentions are left to
    tessera-lower-attention. Barriers sit only in loops with block-uniform bounds and nothing
    a thread keeps across them is an SSA value, so tessera-emulate-gpu-kernels can run it.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", "64", "Query rows (threads) per block, a multiple of 32">,
    Option<"keyTile", "key-tile", "int64_t", "0",
           "Keys per shared-memory tile (0: up to 64, as 32 KiB of tiles allow)">,
    Option<"maxBlocks", "max-blocks", "int64_t", "65535", "Upper bound of the grid">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numLowered", "lowered-attentions", "Attention ops lowered to GPU tile kernels">,
  ];
}

def GpuBlockReductions : Pass<"tessera-gpu-block-reductions", "mlir::func::FuncOp"> {
  let summary = "Lower long row reductions to block-level GPU reductions (CUDA)";
  let description = [{
    A linalg.generic on f32 buffers whose last loop dimension is reduced, over at least
    `min-size` elements, and indexes the innermost, contiguous dimension of the input, where every output is `combine(f(inputs), output)` with combine one
    of addf, mulf, maximumf, minimumf, maxnumf, minnumf, and exactly one input is indexed by
    the reduced dimensions (normalization statistics, softmax's maximum and sum, pooling;
    not contractions or convolutions), becomes a gpu.launch: output elements strided over
    the grid, one block each; every thread folds a strided share of the flattened reduction
    (neighbouring threads on neighbouring elements) into a register starting from the
    combine's identity, then a tree in shared memory halves the partials between barriers,
    and thread 0 combines the total with the output's start value (a linalg.fill right
    before the op is folded into it) and stores it. Threads per block: the smallest power of
    two from 32 up to `max-threads` that leaves each thread at most 4 elements.
  }];
  let options = [
    Option<"minSize", "min-size", "int64_t", "128",
           "Fewest reduced elements per output for a block reduction">,
    Option<"maxThreads", "max-threads", "int64_t", "256",
           "Most threads per block (a power of two in [32, 1024])">,
    Option<"maxBlocks", "max-blocks", "int64_t", "65535", "Upper bound of the grid">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect"];
  let statistics = [
    Statistic<"numLowered", "lowered", "Reductions lowered to block reductions">,
  ];
}

def GpuTiledContractions : Pass<"tessera-gpu-tiled-contractions", "mlir::func::FuncOp"> {
  let summary = "Lower contractions to shared-memory tiled GPU kernels (implicit GEMM, CUDA)";
  let description = [{
    A linalg.generic on f32 buffers computing `out += a * b` (convolutions with a window,
    strided convolutions, products cuBLASLt did not take) with at least 32 rows, 16 columns,
    8 reduction steps and `min-flops` flops becomes a gpu.launch: its loops grouped as a
    batched matrix product (batch: read by both inputs, M: by the first only, N: by the
    second only, K: reduced), 64 x 64 output tiles strided over the grid, 256 threads with a
    4 x 4 register block each (rows ty + 16 i, columns tx + 16 j), and per 8 reduction steps
    an 8 x 64 slice of each input gathered through its indexing map into shared memory (along
    the input's contiguous dimension; rows padded by 4 against bank conflicts) between two
    barriers. The accumulators start at zero and are added to the output at the end.
  }];
  let options = [
    Option<"minFlops", "min-flops", "int64_t", "1000000",
           "Smallest contraction (2 x batch x M x N x K) worth a tiled kernel">,
    Option<"maxBlocks", "max-blocks", "int64_t", "65535", "Upper bound of the grid">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect"];
  let statistics = [
    Statistic<"numLowered", "lowered", "Contractions lowered to tiled kernels">,
  ];
}

def GpuLibraryCalls : Pass<"tessera-gpu-library-calls", "mlir::func::FuncOp"> {
  let summary = "Hand dispatches that are one fp32 matrix product to cuBLASLt (CUDA)";
  let description = [{
    A dispatch whose only work is `C += P * Q` over one reduction loop, optionally after a
    fill of C with zero, becomes a `tess.gpu_gemm` attribute describing the strided batched
    product in cuBLASLt's column-major terms (m, n, k, batch, the bindings and element
    offsets of A, B and D, transposes, leading dimensions, batch strides, beta 0 after the
    fill or 1 without it), and its ops go. Loops read by both inputs are the batch, loops of
    one input its rows or columns; each group must flatten into one stride per operand and
    the output must have unit stride along rows or columns; anything else (convolutions,
    several reductions, broadcasting loops, other work in the dispatch) is left alone.
  }];
  let options = [
    Option<"minFlops", "min-flops", "int64_t", "0",
           "Smallest product (2 m n k) handed to the library">,
  ];
}

def OutlineGpuKernels : Pass<"tessera-outline-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Turn each dispatch into GPU kernels, one per top-level loop nest";
  let description = [{
    For every dispatch function, each top-level op without results (a loop nest, a store)
    becomes a gpu.func `<dispatch>_k<i>` in gpu.module @tessera_kernels, with the ops it
    depends on (views, constants) cloned in and the dispatch's bindings as its parameters;
    kernels of one dispatch run in order, which orders their memory effects.
    The outermost scf.parallel of a nest is flattened and its iterations strided over the
    grid's threads (innermost dimension fastest, so accesses coalesce); nested scf.parallel
    loops run sequentially in each thread. Anything else runs on the grid's first thread.
    Each kernel carries `tess.gpu_block` (threads per block) and `tess.gpu_grid` (blocks
    suggested; any grid is correct), and the dispatch function keeps only
    `tess.gpu_kernels`, the kernels' names in launch order.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256", "Threads per block">,
    Option<"maxBlocks", "max-blocks", "int64_t", "65535", "Upper bound of the suggested grid">,
    Option<"kernelModule", "module-name", "std::string", "\"tessera_kernels\"",
           "Name of the gpu.module holding the kernels">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numKernels", "kernels", "GPU kernels">,
    Statistic<"numSerial", "serial", "Kernels that run on one thread">,
  ];
}

def EmulateGpuKernels : Pass<"tessera-emulate-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Run the GPU kernels on the CPU: loops over blocks and threads (testing)";
  let description = [{
    For --target cuda-emulator: every gpu.func of tessera-outline-gpu-kernels becomes a
    private func.func looping over its suggested grid's blocks and each block's threads in
    order, with gpu.block_id / thread_id / block_dim / grid_dim replaced by the loop indices
    and bounds, and every dispatch function (tess.gpu_kernels) calls its kernels in launch
    order. The CPU target then lowers the module as usual. Kernels with barriers, memory
    attributions or ids read inside nested regions are refused (sequential threads would not
    be a valid schedule for them).
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

#endif // TESSERA_CODEGEN_PASSES_TD
