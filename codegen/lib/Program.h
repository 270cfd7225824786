// The host-side program of a compiled graph, read off the graph function after dispatch
// formation: which buffers each dispatch binds, in what order dispatches run, and what the
// module's inputs, outputs and constants are. The module writer serializes it.
#ifndef TESSERA_CODEGEN_PROGRAM_H
#define TESSERA_CODEGEN_PROGRAM_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::codegen {

enum class BufferKind : uint8_t { Input = 0, Output = 1, Constant = 2, Arena = 3 };

struct TensorInfo {
  std::string name;
  mlir::Type elementType;
  std::vector<int64_t> shape;
};

/// A parameter stored in the contraction kernels' panel layout (runtime/include/tessera/
/// Packing.h): a contiguous block of the parameter viewed as a row-major tensor of `shape`,
/// permuted and paneled.
struct PackingInfo {
  /// The parameter's elements [offset, offset + prod(shape)) viewed as `shape`.
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> permutation;
  int64_t panelDim = 0;
  int64_t panel = 1;
};

struct ConstantInfo {
  /// As stored: for a packed parameter, the packed shape.
  TensorInfo tensor;
  /// Set for constants folded into the graph (memref.global); parameters have none and are
  /// bound from the weights file or the seeded fill.
  mlir::DenseElementsAttr value;
  /// Index into ProgramInfo::parameters for a parameter (packed or not), else -1.
  int64_t parameter = -1;
  std::optional<PackingInfo> packing;
};

struct BindingInfo {
  BufferKind kind;
  uint32_t index;
  uint64_t offset; // bytes from the buffer start to the pointer the kernel receives
  uint64_t length; // bytes the kernel may touch from there
  // Whether the dispatch may read the buffer's earlier contents / may write it (conservative:
  // an op that may touch it without overwriting it all counts as reading).
  bool read = true;
  bool written = true;
  std::string type; // "f32[1, 197, 768]": the view the dispatch receives
};

struct DispatchInfo {
  std::string name;     // d<position>_<kind>, unique, for dump and profiles
  std::string function; // the dispatch function's symbol (identical dispatches share one)
  std::vector<BindingInfo> bindings;
  uint32_t workgroups = 1;
  uint64_t flops = 0;     // two per multiply-accumulate (tess.flops on the dispatch function)
  std::string source;     // "file:line:col" of the DSL op the dispatch was formed around
  std::string parameters; // the parameters it reads, less their last component
  std::vector<uint32_t> dependsOn; // earlier dispatches that write a buffer it reads
};

/// An output holding attention probabilities, and how its query and key axes lie on the
/// input picture ([prefix, rows, cols]; see SequenceGrid in module.fbs).
struct AttentionMapInfo {
  uint32_t output = 0;
  std::string layer;
  std::optional<std::array<int64_t, 3>> queryGrid, keyGrid;
};

struct ProgramInfo {
  std::string name;
  std::vector<TensorInfo> inputs, outputs;
  /// Every parameter of the graph, in declaration order: what a weights file must provide.
  std::vector<TensorInfo> parameters;
  /// What the dispatches bind: parameters read as they are, packed copies of parameters,
  /// folded constants. A parameter only read packed is not stored unpacked.
  std::vector<ConstantInfo> constants;
  uint64_t arenaSize = 0;
  std::vector<DispatchInfo> dispatches;
  std::vector<AttentionMapInfo> attentionMaps;
  /// The file's `preprocess` declaration: image flags for tessera run, or empty.
  std::string imageFlags;
};

/// Reads the program off the graph function (the only func without tess.dispatch), then
/// erases the graph function and the globals it used, leaving only dispatch functions.
/// Output names come from the out-params' tess.output attributes.
mlir::FailureOr<ProgramInfo> extractProgram(mlir::ModuleOp module);

/// Marks each dispatch argument `llvm.noalias` when its byte range overlaps no other argument
/// of the same dispatch: distinct live buffers never overlap (the memory plan guarantees it), so
/// only views of one buffer can. This is what lets LLVM keep accumulators in registers and
/// vectorize.
void annotateNoAlias(mlir::ModuleOp module, const ProgramInfo &program);

/// True for the ops that alias a buffer rather than compute into one (subview, expand /
/// collapse_shape, transpose, cast, reinterpret_cast): their operand 0 is the viewed buffer.
/// The memory plan extends live ranges through them and program extraction follows them back
/// to the bound buffer, so both must agree on this list.
bool isBufferView(mlir::Operation *op);

/// The buffer `v` views (through isBufferView ops): an allocation, a graph argument or a
/// global; `v` itself when it is not a view. `chain`, when given, receives the view ops from
/// the root outwards (the order to rebuild them in).
mlir::Value bufferRoot(mlir::Value v, llvm::SmallVectorImpl<mlir::Operation *> *chain = nullptr);

/// Bytes per element of a buffer of this element type.
uint64_t elementBytes(mlir::Type type);

/// Size in bytes of a contiguous buffer of `type`.
int64_t byteSize(mlir::MemRefType type);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_PROGRAM_H
