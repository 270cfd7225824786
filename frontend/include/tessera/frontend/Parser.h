// Lexer and recursive-descent parser for .tg files. See docs/DSL.md for the grammar.
#ifndef TESSERA_FRONTEND_PARSER_H
#define TESSERA_FRONTEND_PARSER_H

#include "tessera/frontend/AST.h"
#include "tessera/frontend/Diagnostics.h"

#include <optional>

namespace tessera::frontend {

/// Parses a whole file. On any syntax error, reports it to `diags` (file:line:col + caret) and
/// returns std::nullopt. Never crashes or hangs on any input, including binary data, and bounds
/// nesting depth so that hostile input cannot overflow the stack. Imports are parsed, not
/// followed: loadProgram() (Imports.h) reads the files they name. Locations carry `fileId`,
/// the file's index in `diags`.
std::optional<Program> parseProgram(const SourceFile &file, DiagnosticEngine &diags,
                                    uint32_t fileId = 0);

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_PARSER_H
