// mlir-opt with the tess dialect and Tessera's passes registered: the driver of the lit tests
// that check each pass and lowering step on textual IR.
#include "tessera/codegen/Compiler.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tessera::codegen::registerCompilerDialects(registry);
  mlir::registerAllPasses();
  tessera::codegen::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessera optimizer driver\n", registry));
}
