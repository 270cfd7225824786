// Owned, zero-initialised, 64-byte aligned memory: the storage for arenas, generated constants,
// staged inputs and output tensors. 64 bytes covers every vector width kernels may assume.
#ifndef TESSERA_RUNTIME_ALIGNEDBUFFER_H
#define TESSERA_RUNTIME_ALIGNEDBUFFER_H

#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;
  AlignedBuffer(AlignedBuffer &&other) noexcept;
  AlignedBuffer &operator=(AlignedBuffer &&other) noexcept;
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  ~AlignedBuffer();

  // Allocates `size` zeroed bytes. Even a zero-sized buffer gets a real (non-null, aligned)
  // allocation so that kernels and memcpy never see a null pointer. Fails cleanly when the
  // memory is not available instead of throwing.
  static Expected<AlignedBuffer> allocate(size_t size);

  uint8_t *data() { return data_; }
  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  void release();

  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  size_t mappedSize_ = 0; // Non-zero when the memory came from mmap rather than malloc.
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_ALIGNEDBUFFER_H
