// Reference interpreter for graphs in the tess dialect.
//
// Evaluates a graph function (as produced by mlirGen: a func.func whose arguments carry
// tess.input / tess.param names and whose results carry tess.output names) with plain loops in
// double precision. It is written from the op descriptions in TessOps.td, independently of the
// compiler's lowering, so that end-to-end tests can check compiled modules against it.
//
// Values of every element type (f32, i1, i32, i64) are held as doubles (i1 as 0 / 1). Integer
// division truncates toward zero; tess.cast models its conversions exactly (rounding to f32,
// truncation toward zero, narrowing of integers, `!= 0` for i1); no other integer wrap-around
// is modelled.
#ifndef TESSERA_IR_INTERPRETER_H
#define TESSERA_IR_INTERPRETER_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
}

namespace tessera::tess {

/// A dense row-major array of doubles. A rank-0 array has shape {} and one element.
struct NDArray {
  std::vector<int64_t> shape;
  std::vector<double> data;

  NDArray() = default;
  NDArray(std::vector<int64_t> shape, std::vector<double> data)
      : shape(std::move(shape)), data(std::move(data)) {}
  /// A zero-filled array of `shape`.
  static NDArray zeros(std::vector<int64_t> shape);

  /// Product of the dimensions (1 for rank 0).
  int64_t numElements() const;
};

/// Evaluates `graph`. `values` holds every graph input and parameter by name (the tess.input /
/// tess.param attribute of each argument); each must have exactly the argument's shape and
/// shape-consistent data. Returns the outputs in result order, or an error naming what is wrong:
/// a missing or unknown name, a wrong shape, an unsupported op, an inconsistent attribute.
llvm::Expected<std::vector<NDArray>> interpretGraph(mlir::func::FuncOp graph,
                                                    const std::map<std::string, NDArray> &values);

} // namespace tessera::tess

#endif // TESSERA_IR_INTERPRETER_H
