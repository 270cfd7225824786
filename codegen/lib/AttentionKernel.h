// The register-blocked attention kernel: FlashAttention-2 on a CPU. Each task is one tile of
// query rows of one batch/head; it walks the keys in chunks. Per chunk: the scores of the tile
// (rows x chunk, on the stack) as a register-blocked GEMM of q against the keys (read as
// vectors along the key index, so k must be a transposed view of a [.., D, N] buffer), an
// online softmax update per row (new maximum, rescale of the accumulated output and sum,
// p = exp(s - m) in place), then out += p v as a register-blocked GEMM over the vectors of
// the output row. Memory beyond the operands: one chunk of scores per task. Causal attention
// stops at the tile's last row and masks above the diagonal.
#ifndef TESSERA_CODEGEN_ATTENTIONKERNEL_H
#define TESSERA_CODEGEN_ATTENTIONKERNEL_H

#include <cstdint>

namespace tessera::tess {
class AttentionOp;
}

namespace tessera::codegen {

struct AttentionKernelOptions {
  int64_t lanes = 16;        // f32 lanes per vector register
  int64_t rows = 6;          // query rows per register block
  int64_t blocksPerTile = 4; // register blocks per query tile (they share each key chunk)
  int64_t keyChunk = 256;    // keys per chunk; a multiple of 4 * lanes
};

/// Replaces the buffer-form `op` by the kernel and returns true, or leaves it alone and
/// returns false when its layouts do not allow it (then the scalar lowering applies).
bool emitVectorAttention(tess::AttentionOp op, const AttentionKernelOptions &options);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_ATTENTIONKERNEL_H
