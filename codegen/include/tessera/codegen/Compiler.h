// The compiler driver below the frontend: tess IR in, serialized .tsm module out.
//
//   tess --(tess-to-linalg, elementwise fusion)--> linalg on tensors          phase "linalg"
//        --(one-shot bufferize, out-params, memory plan, dispatch formation)--> phase "dispatch"
//        --(loops, workgroup distribution, LLVM dialect)-->                     phase "llvm"
//        --> LLVM IR --> x86-64 object --> shared object --> FlatBuffers module
#ifndef TESSERA_CODEGEN_COMPILER_H
#define TESSERA_CODEGEN_COMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace tessera::codegen {

struct CompileOptions {
  /// Targets to build executables for, in order: "cpu", "cuda", or both (a module that runs on
  /// either; the CPU then runs the portable loops, without its packed contraction kernels).
  std::vector<std::string> targets{"cpu"};
  /// CUDA architecture of the PTX: sm_80 or sm_90.
  std::string cudaArch = "sm_90";
  /// Arithmetic of the CUDA target's matrix products (cuBLASLt): "f32" (exact fp32), "tf32"
  /// or "bf16" (inputs rounded for the tensor cores, fp32 accumulation). The CPU target and
  /// the generated GPU kernels always compute in fp32.
  std::string precision = "f32";
  /// CUDA toolkit root holding nvvm/libdevice; empty: $CUDA_PATH, else /usr/local/cuda.
  std::string cudaPath;
  /// LLVM CPU name for the CPU executable; empty picks the best x86-64 level of this machine
  /// (x86-64-v4 with AVX-512, else v3, v2, baseline).
  std::string targetCpu;
  /// safetensors file binding parameters by name; empty means a seeded deterministic fill.
  std::string weightsPath;
  /// Tensors in the weights file that no parameter uses are an error unless this is set
  /// (checkpoints sometimes carry buffers such as attention masks).
  bool allowUnusedWeights = false;
  /// Return every fused attention's probabilities as extra outputs "attention:LAYER"
  /// (tessera-expose-attention), for attention-map pictures.
  bool exposeAttention = false;
  /// Seed of the deterministic fill; each parameter's own seed derives from it and its name.
  uint64_t seed = 0x7e55e7a;

  // Inspection (tessera opt / compile).
  bool printIRAfterAll = false;
  std::set<std::string> printIRBefore, printIRAfter; // pass arguments, e.g. "tess-to-linalg"
  std::set<std::string> disabledPasses;              // optional passes only, see optionalPasses()
  /// Options of configurable passes (see configurablePasses()), pass argument -> MLIR option
  /// string, e.g. "tessera-tile-lambda" -> "query-tile=8 context-tile=32".
  std::map<std::string, std::string> passOptions;
  bool passStatistics = false;
  bool timing = false;
  /// Where IR dumps, statistics and timing go.
  llvm::raw_ostream *diagnosticStream = &llvm::errs();
  /// Filled while IR printing is on: the argument of every pass that ran, so the driver can
  /// say when a --print-ir-before/after name matched none. Shared by copies of the options.
  std::shared_ptr<std::set<std::string>> passesRun = std::make_shared<std::set<std::string>>();
};

/// The --print-ir-before/after names that matched no pass of the pipeline that ran.
std::vector<std::string> unmatchedPrintRequests(const CompileOptions &options);

/// Passes that --disable-pass may name.
std::vector<std::string> optionalPasses();

/// Passes that --pass-option may configure.
std::vector<std::string> configurablePasses();

/// Stops lowering after a phase and prints the IR (tessera opt --compile-to).
enum class Phase { Tess, Linalg, Dispatch, LLVM };

/// Runs the pipeline in place on `module` (a module from mlirGen) up to and including `phase`.
llvm::Error lowerToPhase(mlir::ModuleOp module, Phase phase, const CompileOptions &options);

/// The passes lowerToPhase runs up to `phase` (linalg or dispatch), with their options, as the
/// textual pipeline `tessera-opt --pass-pipeline=...` takes: running it on the tess IR gives
/// the same IR as lowerToPhase. The phases are also registered as pipelines of their own,
/// tessera-linalg-phase and tessera-dispatch-phase, with the default options.
llvm::Expected<std::string> phasePipeline(mlir::MLIRContext &context, Phase phase,
                                          const CompileOptions &options);

/// Compiles `module` (from mlirGen; consumed) into the bytes of a .tsm file.
llvm::Expected<std::vector<uint8_t>> compileToModule(mlir::ModuleOp module,
                                                     const CompileOptions &options);

/// Whether --target cuda can be built here: the CUDA toolkit's libdevice is found as
/// CompileOptions::cudaPath's default would find it.
bool cudaToolkitAvailable();

/// Registers every dialect, interface and translation the pipeline needs.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Lets one-shot bufferization handle tess.attention (destination style).
void registerAttentionBufferization(mlir::DialectRegistry &registry);

/// Registers the project's passes for textual pipelines (tessera-opt).
void registerCompilerPasses();

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_COMPILER_H
