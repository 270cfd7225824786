#include "tessera/Tensor.h"

namespace tessera::runtime {

Expected<Tensor> Tensor::zeros(DType dtype, Shape shape) {
  Expected<uint64_t> bytes = checkedByteSize(dtype, shape);
  if (!bytes)
    return bytes.takeError();
  Expected<AlignedBuffer> storage = AlignedBuffer::allocate(*bytes);
  if (!storage)
    return storage.takeError();
  Tensor tensor;
  tensor.dtype_ = dtype;
  tensor.numElements_ = *bytes / dtypeSize(dtype);
  tensor.shape_ = std::move(shape);
  tensor.storage_ = storage.takeValue();
  return tensor;
}

} // namespace tessera::runtime
