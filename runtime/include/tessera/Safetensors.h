// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {..}} and
// the tensor bytes. Read from a read-only mapping without copying; written for f32 tensors.
#ifndef TESSERA_RUNTIME_SAFETENSORS_H
#define TESSERA_RUNTIME_SAFETENSORS_H

#include "tessera/DType.h"
#include "tessera/Error.h"
#include "tessera/MappedFile.h"
#include "tessera/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessera::runtime {

// Every dtype the format defines. Only F32 is used as-is; F64, F16 and BF16 convert to f32.
enum class SafetensorsDType {
  BOOL,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  F64,
  I64,
  U64
};
const char *safetensorsDTypeName(SafetensorsDType dtype);
size_t safetensorsDTypeSize(SafetensorsDType dtype);

// One tensor, borrowed from the file: `data` points at `size` bytes in the mapping (no
// particular alignment beyond what the writer chose).
struct SafetensorsTensor {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::F32;
  Shape shape;
  uint64_t numElements = 0;
  const uint8_t *data = nullptr;
  size_t size = 0;
};

class SafetensorsFile {
public:
  // Header JSON larger than this is rejected (the reference implementation uses 100 MB too).
  static constexpr uint64_t kMaxHeaderSize = 100u << 20;

  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  // Maps and validates the file: header size and JSON, every entry's dtype, shape and offsets,
  // sizes equal to numel * dtype size, and offsets tiling the data area exactly (no overlaps,
  // no gaps, as the format requires). Errors are prefixed with the path.
  static Expected<std::unique_ptr<SafetensorsFile>> open(const std::string &path);
  // Same for bytes in memory (copied); errors are prefixed with `sourceName`.
  static Expected<std::unique_ptr<SafetensorsFile>> fromBytes(const void *data, size_t size,
                                                              const std::string &sourceName);

  // Tensor names in header order.
  const std::vector<std::string> &names() const { return names_; }
  // The tensor called `name`, or null.
  const SafetensorsTensor *find(const std::string &name) const;
  // The tensor called `name` or an error naming the file.
  Expected<const SafetensorsTensor *> get(const std::string &name) const;
  // A copy as an aligned f32 tensor, converting F64/F16/BF16; other dtypes are an error.
  Expected<Tensor> readF32(const std::string &name) const;
  // "__metadata__" (string to string), empty when absent.
  const std::map<std::string, std::string> &metadata() const { return metadata_; }

private:
  SafetensorsFile() = default;
  Error parse();

  std::string sourceName_;
  std::unique_ptr<MappedFile> mapping_;
  std::vector<uint8_t> copy_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  std::vector<std::string> names_;
  std::vector<SafetensorsTensor> tensors_; // Same order as names_.
  std::map<std::string, std::string> metadata_;
};

// A tensor to write: f32, C order, numel(shape) values at `data`.
struct SafetensorsF32Entry {
  std::string name;
  Shape shape;
  const float *data = nullptr;
};

// Serialises `entries` (names must be unique and not "__metadata__") as a safetensors file.
// The header is padded with spaces so the data starts at a 64-byte boundary of the file.
Expected<std::vector<uint8_t>>
encodeSafetensorsF32(const std::vector<SafetensorsF32Entry> &entries,
                     const std::map<std::string, std::string> &metadata = {});
Error writeSafetensorsF32(const std::string &path, const std::vector<SafetensorsF32Entry> &entries,
                          const std::map<std::string, std::string> &metadata = {});

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SAFETENSORS_H
