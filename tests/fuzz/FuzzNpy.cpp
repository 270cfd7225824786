// libFuzzer target: the .npy reader (tessera-run --input, the C API's npy helpers).
#include "tessera/Npy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tessera::runtime::Expected<tessera::runtime::Tensor> tensor =
      tessera::runtime::parseNpy(data, size);
  if (tensor && tensor->byteSize() > 0) {
    // Touch the first and last byte: the reader promised this much memory.
    volatile uint8_t first = tensor->dataAs<uint8_t>()[0];
    volatile uint8_t last = tensor->dataAs<uint8_t>()[tensor->byteSize() - 1];
    (void)first, (void)last;
  }
  return 0;
}
