#include "tessera/AlignedBuffer.h"

#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <utility>

namespace tessera::runtime {
namespace {
// Above this, anonymous mmap gives page-aligned zero memory that is committed lazily, so a
// large arena costs nothing until kernels touch it (memset would fault in every page now).
constexpr size_t kMmapThreshold = size_t(1) << 20;
} // namespace

AlignedBuffer::AlignedBuffer(AlignedBuffer &&other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      mappedSize_(std::exchange(other.mappedSize_, 0)) {}

AlignedBuffer &AlignedBuffer::operator=(AlignedBuffer &&other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mappedSize_ = std::exchange(other.mappedSize_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { release(); }

void AlignedBuffer::release() {
  if (mappedSize_)
    munmap(data_, mappedSize_);
  else
    std::free(data_);
  data_ = nullptr;
  size_ = mappedSize_ = 0;
}

Expected<AlignedBuffer> AlignedBuffer::allocate(size_t size) {
  // Round up to whole cache lines: kernels with vector tails may read (not write) up to the
  // next 64-byte boundary, and posix_memalign sizes are nicer as multiples anyway.
  size_t rounded = size == 0 ? kAlignment : (size + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded < size)
    return makeError("cannot allocate ", size, " bytes: size overflows");
  AlignedBuffer buffer;
  if (rounded >= kMmapThreshold) {
    void *memory =
        mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
      return makeError("out of memory allocating ", size, " bytes");
    buffer.data_ = static_cast<uint8_t *>(memory);
    buffer.mappedSize_ = rounded;
  } else {
    void *memory = nullptr;
    if (posix_memalign(&memory, kAlignment, rounded) != 0 || !memory)
      return makeError("out of memory allocating ", size, " bytes");
    std::memset(memory, 0, rounded);
    buffer.data_ = static_cast<uint8_t *>(memory);
  }
  buffer.size_ = size;
  return buffer;
}

} // namespace tessera::runtime
