// A whole file mapped read-only into memory. Modules and safetensors files are used in place
// from the mapping, so loading a large file costs no copy and pages are shared between processes.
#ifndef TESSERA_RUNTIME_MAPPEDFILE_H
#define TESSERA_RUNTIME_MAPPEDFILE_H

#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tessera::runtime {

class MappedFile {
public:
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  // Maps `path`. An empty file succeeds with size() == 0 and data() == nullptr (mmap cannot map
  // zero bytes); callers report emptiness in their own terms. The mapping starts on a page
  // boundary, so it is 64-byte aligned.
  static Expected<std::unique_ptr<MappedFile>> open(const std::string &path);

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  MappedFile() = default;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_MAPPEDFILE_H
