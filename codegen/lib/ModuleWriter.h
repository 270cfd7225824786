// Serializes a compiled program into the FlatBuffers module format (runtime/schema/module.fbs)
// and seals its checksum. Parameters are embedded from a weights file, or recorded as a seeded
// deterministic fill so that full-size models need no checkpoint.
#ifndef TESSERA_CODEGEN_MODULEWRITER_H
#define TESSERA_CODEGEN_MODULEWRITER_H

#include "CudaCodegen.h"
#include "Program.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace tessera::codegen {

struct ExecutableInfo {
  enum class Format { ElfSharedObject, Ptx } format = Format::ElfSharedObject;
  std::string target;          // LLVM CPU name or CUDA arch
  std::vector<uint8_t> object; // shared object bytes, or PTX text
  /// Ptx: dispatch function -> its kernel launches.
  std::map<std::string, std::vector<GpuKernelInfo>> kernels;
};

struct WeightsOptions {
  std::string path; // safetensors; empty selects the seeded fill
  uint64_t seed = 0;
  bool allowUnused = false; // skip file tensors no parameter uses instead of failing
};

/// The seeded fill's range for a parameter: biases and other vectors small, norm gains and
/// batch-norm variances around one,
/// matrices uniform in +-1/sqrt(fan_in) with fan_in = prod(shape[1:]).
void seededRange(const std::string &name, const std::vector<int64_t> &shape, float &low,
                 float &high);
/// The seed of one parameter: derived from the module seed and the parameter's name.
uint64_t parameterSeed(uint64_t moduleSeed, const std::string &name);

/// How the module was built (BuildInfo in module.fbs), all of it display text.
struct BuildRecord {
  std::vector<std::pair<std::string, std::string>> sources; // (path, sha256)
  std::string config, options, weights;
};

/// Every executable implements one entry point per distinct dispatch function, in the same
/// order; dispatches run from the first executable on a CPU.
llvm::Expected<std::vector<uint8_t>> writeModule(const ProgramInfo &program,
                                                 const std::vector<ExecutableInfo> &executables,
                                                 const WeightsOptions &weights,
                                                 const BuildRecord &build);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_MODULEWRITER_H
