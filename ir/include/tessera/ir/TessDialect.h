// The tess dialect: Tessera's statically shaped tensor graph operations.
#ifndef TESSERA_IR_TESSDIALECT_H
#define TESSERA_IR_TESSDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>

#include "tessera/ir/TessDialect.h.inc"
#include "tessera/ir/TessInterfaces.h.inc"

#define GET_OP_CLASSES
#include "tessera/ir/TessOps.h.inc"

namespace tessera::tess {

/// The element of `v` when it is a splat tess.constant (a scalar the passes fold into
/// bodies or read as a scale).
std::optional<mlir::Attribute> getSplatConstant(mlir::Value v);

} // namespace tessera::tess

#endif // TESSERA_IR_TESSDIALECT_H
