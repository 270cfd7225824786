// Host tensors: Tensor owns 64-byte aligned storage; TensorRef / MutableTensorRef borrow
// caller memory (e.g. for the C API, or numpy buffers).
#ifndef TESSERA_RUNTIME_TENSOR_H
#define TESSERA_RUNTIME_TENSOR_H

#include "tessera/AlignedBuffer.h"
#include "tessera/DType.h"
#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

// Borrowed read-only tensor. `data` holds numel * dtypeSize(dtype) bytes in C order.
struct TensorRef {
  DType dtype = DType::F32;
  Shape shape;
  const void *data = nullptr;
};

// Borrowed writable tensor.
struct MutableTensorRef {
  DType dtype = DType::F32;
  Shape shape;
  void *data = nullptr;
};

class Tensor {
public:
  Tensor() = default;

  // A zero-filled tensor; fails on a bad shape or when memory is not available.
  static Expected<Tensor> zeros(DType dtype, Shape shape);

  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  uint64_t numElements() const { return numElements_; }
  size_t byteSize() const { return numElements_ * dtypeSize(dtype_); }

  void *data() { return storage_.data(); }
  const void *data() const { return storage_.data(); }
  template <typename T> T *dataAs() { return reinterpret_cast<T *>(storage_.data()); }
  template <typename T> const T *dataAs() const {
    return reinterpret_cast<const T *>(storage_.data());
  }

  TensorRef ref() const { return {dtype_, shape_, storage_.data()}; }
  MutableTensorRef mutableRef() { return {dtype_, shape_, storage_.data()}; }

private:
  DType dtype_ = DType::F32;
  Shape shape_;
  uint64_t numElements_ = 0;
  AlignedBuffer storage_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_TENSOR_H
