// SourceFile's line index and DiagnosticEngine's clang-style formatting.
#include "tessera/frontend/Diagnostics.h"

#include <algorithm>

namespace tessera::frontend {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  // Index every line start once so that each diagnostic finds its line in O(1).
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

std::string SourceFile::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size())
    return {};
  size_t begin = lineStarts_[line - 1];
  size_t end = line < lineStarts_.size() ? lineStarts_[line] - 1 : text_.size();
  // Files with CRLF line endings: the '\r' is part of the line terminator, not of the text.
  if (end > begin && text_[end - 1] == '\r')
    --end;
  return text_.substr(begin, end - begin);
}

uint32_t DiagnosticEngine::addFile(std::unique_ptr<SourceFile> file) {
  files_.push_back(file.get());
  ownedFiles_.push_back(std::move(file));
  return static_cast<uint32_t>(files_.size() - 1);
}

const SourceFile &DiagnosticEngine::file(uint32_t index) const {
  return *files_[index < files_.size() ? index : 0];
}

void DiagnosticEngine::error(SourceLoc loc, const std::string &message) {
  ++errorCount_;
  report(loc, "error", message);
}

void DiagnosticEngine::note(SourceLoc loc, const std::string &message) {
  report(loc, "note", message);
}

std::string DiagnosticEngine::str() const {
  std::string all;
  for (const std::string &message : messages_)
    all += message;
  return all;
}

void DiagnosticEngine::report(SourceLoc loc, const char *severity, const std::string &message) {
  const SourceFile &source = file(loc.file);
  std::string out = source.path();
  if (loc.line == 0) {
    // No position known (e.g. a problem with the file as a whole): no source excerpt.
    out += ": ";
    out += severity;
    out += ": " + message + "\n";
    messages_.push_back(std::move(out));
    return;
  }
  uint32_t col = std::max<uint32_t>(loc.col, 1);
  out += ":" + std::to_string(loc.line) + ":" + std::to_string(col) + ": ";
  out += severity;
  out += ": " + message + "\n  ";

  // Echo the line byte for byte so that the caret stays aligned with byte columns; bytes a
  // terminal could misrender (control characters, lone UTF-8 pieces) become '?'. Tabs are kept.
  std::string line = source.lineText(loc.line);
  for (char &c : line) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte != '\t' && (byte < 0x20 || byte > 0x7e))
      c = '?';
  }
  out += line;
  out += "\n  ";
  out.append(col - 1, ' ');
  out += "^\n";
  messages_.push_back(std::move(out));
}

} // namespace tessera::frontend
