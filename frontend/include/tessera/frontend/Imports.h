// Following `import "..."`: reads and parses the files a .tg file imports, transitively, and
// merges their declarations into one Program for MLIRGen.
#ifndef TESSERA_FRONTEND_IMPORTS_H
#define TESSERA_FRONTEND_IMPORTS_H

#include "tessera/frontend/AST.h"
#include "tessera/frontend/Diagnostics.h"

#include <cstddef>
#include <optional>

namespace tessera::frontend {

/// The largest .tg file the compiler reads, the main file or an imported one.
inline constexpr size_t kMaxSourceFileBytes = size_t(64) << 20;
/// The most files one compilation may import (a bound for hostile import graphs).
inline constexpr size_t kMaxImportedFiles = 1000;

/// Parses `main` (file 0 of `diags`) and every file it imports. An import's path is relative to
/// the directory of the file that contains it (or absolute). The result holds, in order, the
/// declarations of each imported file (depth first, in import order) before those of the file
/// that imports it; a file imported from several places is merged once, at its first import;
/// its `imports` list is empty. Imported files join `diags`, so locations in them report with
/// their own path. Reported at the import, with file:line:col: a file that cannot be read, an
/// import cycle (with the chain of files), and a graph or preprocess in an imported file (an
/// imported file is a library of fns, configs and params). Returns std::nullopt after reporting.
std::optional<Program> loadProgram(const SourceFile &main, DiagnosticEngine &diags);

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_IMPORTS_H
