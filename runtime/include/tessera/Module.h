// A loaded, fully validated .tsm module.
//
// Loading checks, in order: size, file identifier "TSM0", the FlatBuffers verifier, the CRC-32
// checksum, then every semantic rule (versions, dtypes, shapes, sizes, indices, binding ranges).
// Only after all of that is the content copied into the plain structs below; nothing else in
// the runtime reads the FlatBuffer, so nothing else has to re-check it.
#ifndef TESSERA_RUNTIME_MODULE_H
#define TESSERA_RUNTIME_MODULE_H

#include "tessera/AlignedBuffer.h"
#include "tessera/DType.h"
#include "tessera/Error.h"
#include "tessera/Limits.h"
#include "tessera/MappedFile.h"
#include "tessera/Packing.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::runtime {

// Values match the schema enums of the same names.
enum class ConstantStorage : uint8_t { Embedded = 0, SeededUniform = 1 };
enum class ExecutableFormat : uint8_t { ElfSharedObject = 0, Ptx = 1 };
enum class BindingKind : uint8_t { Input = 0, Output = 1, Constant = 2, Arena = 3 };

const char *constantStorageName(ConstantStorage storage);  // "embedded", "seeded-uniform"
const char *executableFormatName(ExecutableFormat format); // "elf-shared-object", "ptx"
const char *bindingKindName(BindingKind kind);             // "input", "output", ...

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  uint64_t numElements = 0;
  uint64_t byteSize = 0;

  std::string typeString() const { return formatTensorType(dtype, shape); }
};

struct ConstantInfo {
  TensorSpec spec;
  ConstantStorage storage = ConstantStorage::Embedded;
  // Embedded: spec.byteSize bytes inside the module buffer, 64-byte aligned. Null otherwise.
  const uint8_t *data = nullptr;
  // SeededUniform parameters (see tessera/SeededFill.h).
  uint64_t seed = 0;
  float low = 0.0f;
  float high = 0.0f;
  // A parameter in the CPU kernels' panel layout; spec.shape is packedShape(*packing).
  std::optional<PanelPacking> packing;
};

// Arithmetic of a matrix product (see schema::GemmCompute).
enum class GemmCompute : uint8_t { F32 = 0, Tf32 = 1, Bf16 = 2 };

/// "f32", "tf32" or "bf16".
const char *gemmComputeName(GemmCompute c);

// A cuBLASLt matrix product (see schema::GemmCall), column-major.
struct GemmCallInfo {
  int64_t m = 0, n = 0, k = 0, batch = 1;
  uint32_t aBinding = 0, bBinding = 0, dBinding = 0;
  int64_t aOffset = 0, bOffset = 0, dOffset = 0;
  bool transposeA = false, transposeB = false;
  int64_t lda = 0, ldb = 0, ldd = 0;
  int64_t strideA = 0, strideB = 0, strideD = 0;
  float beta = 0.0f;
  GemmCompute compute = GemmCompute::F32;
};

// One launch of a PTX entry point (see schema::GpuKernel): a kernel, or a library call.
struct GpuKernelInfo {
  uint32_t entryPoint = 0;
  std::string name;
  uint32_t blockSize = 0;
  uint32_t gridSize = 1;
  uint32_t sharedMemoryBytes = 0;
  std::optional<GemmCallInfo> gemm;
};

struct ExecutableInfo {
  ExecutableFormat format = ExecutableFormat::ElfSharedObject;
  std::string target;
  const uint8_t *data = nullptr; // Inside the module buffer.
  size_t size = 0;
  std::vector<std::string> entryPoints;
  // Ptx only: every entry point's launches, grouped by entry point, in launch order.
  std::vector<GpuKernelInfo> kernels;
};

struct BindingInfo {
  BindingKind kind = BindingKind::Input;
  uint32_t index = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  // What the module says the dispatch does with it (both when it does not say): reads the
  // buffer's earlier contents, writes it.
  bool read = true;
  bool written = true;
  // "f32[1, 197, 768]": the view the dispatch receives, or empty when the module does not say.
  std::string type;
};

struct DispatchInfo {
  std::string name;
  uint32_t executable = 0;
  uint32_t entryPoint = 0;
  uint32_t workgroupCount[3] = {1, 1, 1};
  std::vector<BindingInfo> bindings;
  uint64_t flops = 0;     // as counted by the compiler, for throughput figures
  std::string source;     // "file:line:col" of the DSL op, or empty
  std::string parameters; // "blocks.3.mlp.fc1", or empty
  // Earlier dispatches writing a buffer this one reads (ascending); unknown unless
  // hasDependencies.
  std::vector<uint32_t> dependsOn;
  bool hasDependencies = false;
  bool hasBindingAccess = false; // BindingInfo::read/written come from the module
};

// Where a dispatch came from for people: "blocks.3.mlp.fc1 at vit.tg:27:5", either half alone,
// or empty when the module does not say.
std::string dispatchOrigin(const DispatchInfo &dispatch);

// How a sequence axis of an attention map lies on the input picture: `prefix` tokens that are
// no position (ViT's class token), then rows x cols positions in row-major order.
struct SequenceGrid {
  int64_t prefix = 0, rows = 0, cols = 0;
};

// An output holding attention probabilities [B.., queries, keys] (from rank 4: [B.., heads,
// queries, keys]; tessera compile --expose-attention). Validated: the output is f32 of rank >= 2
// with no empty dimension, the layer is printable text, and a grid covers its axis exactly
// (prefix + rows * cols == its size, without overflow).
struct AttentionMapInfo {
  uint32_t output = 0;
  std::string layer;
  std::optional<SequenceGrid> queryGrid, keyGrid;
};

// How the module was built (all display text, validated printable; empty when the module does
// not say).
struct BuildInfo {
  struct Source {
    std::string path, sha256;
  };
  std::vector<Source> sources;
  std::string config;  // "batch=1, dim=768, ..." after -D overrides
  std::string options; // "--target cpu --target-cpu x86-64-v4 ..."
  std::string weights; // "w.safetensors (330 MB)" or "seeded fill, seed N"
};

// Everything the runtime uses from a module, already validated.
struct ModuleInfo {
  uint32_t formatVersion = 0;
  std::string name;
  std::string producer;
  uint32_t checksum = 0;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::vector<ConstantInfo> constants;
  std::vector<ExecutableInfo> executables;
  uint64_t arenaSize = 0;
  std::vector<DispatchInfo> dispatches;
  std::vector<AttentionMapInfo> attentionMaps;
  // The model's declared image flags (tessera run's --resize ...), or empty. Printable ASCII.
  std::string imageFlags;
  BuildInfo build;
};

class Module {
public:
  static constexpr uint32_t kFormatVersion = 1;
  static constexpr size_t kMaxRank = limits::kMaxRank;
  // A structural bound only; what a session may allocate is SessionOptions::maxMemoryBytes.
  static constexpr uint64_t kMaxArenaSize = uint64_t(16) * limits::kMaxTensorBytes;
  // Every binding starts at a multiple of this within its buffer.
  static constexpr uint64_t kBufferAlignment = 64;

  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  // Maps `path` read-only and validates it; the module keeps the mapping (embedded constants
  // and executables point into it). Errors are prefixed with the path.
  static Expected<std::shared_ptr<Module>> loadFile(const std::string &path);
  // Copies `size` bytes into a 64-byte aligned buffer and validates them. Errors are prefixed
  // with `sourceName`.
  static Expected<std::shared_ptr<Module>> loadBytes(const void *data, size_t size,
                                                     const std::string &sourceName = "<memory>");

  // Where the module came from (the path, or loadBytes' sourceName), for messages.
  const std::string &sourceName() const { return sourceName_; }
  const ModuleInfo &info() const { return info_; }
  const std::string &name() const { return info_.name; }
  const std::vector<TensorSpec> &inputs() const { return info_.inputs; }
  const std::vector<TensorSpec> &outputs() const { return info_.outputs; }
  const std::vector<ConstantInfo> &constants() const { return info_.constants; }
  const std::vector<ExecutableInfo> &executables() const { return info_.executables; }
  const std::vector<DispatchInfo> &dispatches() const { return info_.dispatches; }
  const std::vector<AttentionMapInfo> &attentionMaps() const { return info_.attentionMaps; }
  uint64_t arenaSize() const { return info_.arenaSize; }
  // Bytes of the buffer a binding of `kind` and `index` names (validated at load).
  uint64_t bufferBytes(BindingKind kind, uint32_t index) const;

  // The raw module bytes.
  const uint8_t *bufferData() const { return data_; }
  size_t bufferSize() const { return size_; }

  // Index of the input/output called `name`, or -1.
  int findInput(const std::string &name) const;
  int findOutput(const std::string &name) const;

private:
  Module() = default;
  static Expected<std::shared_ptr<Module>> finishLoad(std::shared_ptr<Module> module);

  std::string sourceName_;
  std::unique_ptr<MappedFile> mapping_; // loadFile
  AlignedBuffer copy_;                  // loadBytes
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  ModuleInfo info_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_MODULE_H
