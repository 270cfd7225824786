// NumPy .npy files (format versions 1.0, 2.0 and 3.0), the exchange format of tessera-run.
// Reading accepts little-endian C-order float32 ('<f4'), int32 ('<i4') and int64 ('<i8');
// anything else is rejected with a message saying what was found and what to do.
#ifndef TESSERA_RUNTIME_NPY_H
#define TESSERA_RUNTIME_NPY_H

#include "tessera/DType.h"
#include "tessera/Error.h"
#include "tessera/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::runtime {

// Limits that separate real arrays from corrupt headers.
constexpr size_t kNpyMaxRank = 32;
constexpr size_t kNpyMaxHeaderSize = 1 << 20;

// Parses a whole .npy file held in memory. Errors do not carry a file name.
Expected<Tensor> parseNpy(const uint8_t *data, size_t size);
// Reads `path`; errors are prefixed with it.
Expected<Tensor> readNpyFile(const std::string &path);

// Encodes a tensor of any supported dtype as .npy version 1.0.
std::vector<uint8_t> encodeNpy(DType dtype, const Shape &shape, const void *data);
Error writeNpyFile(const std::string &path, DType dtype, const Shape &shape, const void *data);
inline Error writeNpyFile(const std::string &path, const Tensor &tensor) {
  return writeNpyFile(path, tensor.dtype(), tensor.shape(), tensor.data());
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_NPY_H
