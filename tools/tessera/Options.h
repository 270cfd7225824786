// Command-line handling shared by `tessera compile` and `tessera opt`.
#ifndef TESSERA_TOOLS_OPTIONS_H
#define TESSERA_TOOLS_OPTIONS_H

#include "tessera/codegen/Compiler.h"
#include "tessera/frontend/MLIRGen.h"

#include <optional>
#include <string>
#include <vector>

namespace tessera::tools {

/// Everything `compile` and `opt` accept.
struct DriverOptions {
  std::string input;  // the .tg file
  std::string output; // -o
  frontend::MLIRGenOptions gen;
  codegen::CompileOptions compile;
  codegen::Phase compileTo = codegen::Phase::LLVM; // opt only
  bool compileToGiven = false;                     // opt only
  std::string dotPath;                             // opt only: --dot
  bool printPipeline = false;                      // opt only: --print-pipeline
  bool help = false;
};

/// Parses argv (without program and subcommand). On a usage error prints it to stderr and
/// returns nullopt. `forOpt` enables --compile-to.
std::optional<DriverOptions> parseDriverOptions(int argc, char **argv, const char *progName,
                                                bool forOpt);

/// The flag reference printed by --help of compile and opt.
std::string driverFlagsHelp(bool forOpt);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_OPTIONS_H
