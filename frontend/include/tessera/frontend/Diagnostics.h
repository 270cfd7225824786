// Source files and error reporting for the DSL: every message carries file:line:col, the
// offending source line and a caret under the column, clang style.
#ifndef TESSERA_FRONTEND_DIAGNOSTICS_H
#define TESSERA_FRONTEND_DIAGNOSTICS_H

#include "tessera/frontend/AST.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera::frontend {

/// The text of one .tg file and its name as shown in diagnostics.
class SourceFile {
public:
  SourceFile(std::string path, std::string text);

  const std::string &path() const { return path_; }
  const std::string &text() const { return text_; }
  /// The text of 1-based line `line` without its newline; empty when out of range.
  std::string lineText(uint32_t line) const;

private:
  std::string path_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

/// Collects formatted diagnostics. Formatting:
///   path:line:col: error: message
///     <source line>
///     <spaces>^
/// where path is that of the file the location's `file` index names: 0 is the file the engine
/// was made for, imported files are added with addFile().
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceFile &file) : files_{&file} {}

  /// Takes an imported file and returns its index for SourceLoc::file.
  uint32_t addFile(std::unique_ptr<SourceFile> file);
  /// The files known so far, the main file first.
  size_t fileCount() const { return files_.size(); }
  /// The file of index `index`; the main file when out of range.
  const SourceFile &file(uint32_t index) const;

  void error(SourceLoc loc, const std::string &message);
  void note(SourceLoc loc, const std::string &message);

  bool hasErrors() const { return errorCount_ > 0; }
  unsigned errorCount() const { return errorCount_; }
  /// All diagnostics so far, each fully formatted and ending in '\n'.
  const std::vector<std::string> &messages() const { return messages_; }
  /// messages() joined.
  std::string str() const;

private:
  void report(SourceLoc loc, const char *severity, const std::string &message);

  std::vector<const SourceFile *> files_;
  std::vector<std::unique_ptr<SourceFile>> ownedFiles_;
  std::vector<std::string> messages_;
  unsigned errorCount_ = 0;
};

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_DIAGNOSTICS_H
