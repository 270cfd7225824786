// Shape rules of the tess ops, shared by the ops' type inference and by MLIRGen, which checks
// them first so that a bad DSL program gets a located diagnostic instead of a failed build.
// Each function returns an empty string on success and a human-readable reason otherwise.
#ifndef TESSERA_IR_SHAPERULES_H
#define TESSERA_IR_SHAPERULES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::tess {

using Shape = llvm::SmallVector<int64_t, 6>;

/// "[2, 3, 4]"
std::string formatShape(llvm::ArrayRef<int64_t> shape);

std::string broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                            Shape &result);
std::string matmulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs, bool transposeLhs,
                        bool transposeRhs, Shape &result);
/// `bias` may be null.
std::string linearShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                        const llvm::ArrayRef<int64_t> *bias, Shape &result);
std::string reduceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes, bool keepdims,
                        Shape &result);
/// `weight` and `bias` may be null.
std::string layerNormShape(llvm::ArrayRef<int64_t> input, const llvm::ArrayRef<int64_t> *weight,
                           const llvm::ArrayRef<int64_t> *bias, Shape &result);
std::string transposeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> permutation,
                           Shape &result);
std::string sliceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> starts,
                       llvm::ArrayRef<int64_t> limits, llvm::ArrayRef<int64_t> strides,
                       Shape &result);
std::string concatShape(llvm::ArrayRef<llvm::SmallVector<int64_t, 6>> inputs, int64_t axis,
                        Shape &result);
std::string reshapeCheck(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> result);

std::string gatherShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> indices,
                        int64_t axis, Shape &result);
std::string argReduceShape(llvm::ArrayRef<int64_t> input, int64_t axis, bool keepdims,
                           Shape &result);
/// `bias` may be null. strides/padding/dilation have two entries each.
std::string conv2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                        const llvm::ArrayRef<int64_t> *bias, llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> padding, llvm::ArrayRef<int64_t> dilation,
                        int64_t groups, Shape &result);
std::string maxPool2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                           llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> padding,
                           Shape &result);
std::string avgPool2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                           llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> padding,
                           Shape &result);
std::string unfoldShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                        llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> padding,
                        Shape &result);
/// `output` is [H, W] of the folded image.
std::string foldShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> output,
                      llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> strides,
                      llvm::ArrayRef<int64_t> padding, Shape &result);

/// A parsed einsum equation: axis letters of each operand and of the result.
struct EinsumSpec {
  std::vector<std::string> inputs;
  std::string result;
};
std::string parseEinsum(const std::string &equation, size_t numInputs, EinsumSpec &spec);
std::string einsumShape(const EinsumSpec &spec,
                        llvm::ArrayRef<llvm::SmallVector<int64_t, 6>> inputs, Shape &result);

std::string broadcastToCheck(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> result);

/// Number of elements, or -1 on overflow of int64.
int64_t numElements(llvm::ArrayRef<int64_t> shape);
/// "" when `rank` is within tessera/Limits.h's kMaxRank; otherwise what is wrong.
std::string rankLimitCheck(size_t rank);

/// Whether `value` is representable in a signed integer of `bits` bits (bits > 1).
bool fitsSignedInteger(double value, unsigned bits);

/// "" when a tensor of `shape` with `elementBytes`-byte elements is within the limits every
/// layer shares (tessera/Limits.h: rank, and at most `maxBytes`); otherwise what is wrong.
std::string tensorLimitCheck(llvm::ArrayRef<int64_t> shape, unsigned elementBytes,
                             uint64_t maxBytes);

} // namespace tessera::tess

#endif // TESSERA_IR_SHAPERULES_H
