// loadProgram(): a depth-first walk over the import graph with a stack of the files being
// loaded (a file met again on the stack is a cycle) and a set of the files already merged (a
// file met again off the stack is a shared dependency, merged once).
#include "tessera/frontend/Imports.h"

#include "tessera/frontend/Parser.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace tessera::frontend {

namespace {

namespace fs = std::filesystem;

/// The canonical path of `path` when it exists, else `path` made absolute: the identity of a
/// file, so that "a/../b.tg" and "b.tg" are the same import.
std::string identityOf(const std::string &path) {
  std::error_code ec;
  fs::path canonical = fs::canonical(path, ec);
  if (!ec)
    return canonical.string();
  fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

class ImportLoader {
public:
  explicit ImportLoader(DiagnosticEngine &diags) : diags_(diags) {}

  bool load(Program program, uint32_t fileId) {
    const std::string path = diags_.file(fileId).path();
    stack_.push_back({identityOf(path), path});
    std::vector<ImportDecl> imports = std::move(program.imports);
    for (const ImportDecl &decl : imports)
      if (!follow(decl, path))
        return false;
    append(std::move(program));
    done_.insert(stack_.back().identity);
    stack_.pop_back();
    return true;
  }

  Program take() { return std::move(merged_); }

private:
  struct Loading {
    std::string identity; // canonical path
    std::string shown;    // the path as diagnostics show it
  };

  bool follow(const ImportDecl &decl, const std::string &importerPath) {
    fs::path target(decl.path);
    std::string shown =
        target.is_absolute() ? decl.path : (fs::path(importerPath).parent_path() / target).string();
    std::string identity = identityOf(shown);
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].identity != identity)
        continue;
      std::string chain;
      for (size_t j = i; j < stack_.size(); ++j)
        chain += stack_[j].shown + " -> ";
      diags_.error(decl.loc, "import cycle: " + chain + shown);
      return false;
    }
    if (done_.count(identity))
      return true;
    if (diags_.fileCount() > kMaxImportedFiles) {
      diags_.error(decl.loc, "more than " + std::to_string(kMaxImportedFiles) +
                                 " imported files; is the import graph generated?");
      return false;
    }

    std::string text;
    if (!read(decl, shown, text))
      return false;
    uint32_t fileId = diags_.addFile(std::make_unique<SourceFile>(shown, std::move(text)));
    std::optional<Program> program = parseProgram(diags_.file(fileId), diags_, fileId);
    if (!program) {
      diags_.note(decl.loc, "in the file imported here");
      return false;
    }
    auto refuse = [&](SourceLoc at, const char *what) {
      diags_.error(at, std::string("an imported file may declare fns, configs and params, not ") +
                           what + "; it belongs in the file given to the compiler");
      diags_.note(decl.loc, "imported here");
      return false;
    };
    if (!program->graphs.empty())
      return refuse(program->graphs.front().loc, "a graph");
    if (!program->preprocess.empty())
      return refuse(program->preprocess.front().loc, "preprocess");
    if (!load(std::move(*program), fileId)) {
      diags_.note(decl.loc, "in the file imported here");
      return false;
    }
    return true;
  }

  bool read(const ImportDecl &decl, const std::string &shown, std::string &text) {
    auto fail = [&](const std::string &why) {
      std::string where = shown == decl.path ? "" : " (" + shown + ")";
      diags_.error(decl.loc, "cannot import '" + decl.path + "'" + where + ": " + why);
      return false;
    };
    std::error_code ec;
    fs::file_status status = fs::status(shown, ec);
    if (ec || !fs::exists(status))
      return fail("no such file");
    if (fs::is_directory(status))
      return fail("it is a directory");
    if (!fs::is_regular_file(status))
      return fail("not a regular file");
    uintmax_t size = fs::file_size(shown, ec);
    if (ec)
      return fail(ec.message());
    if (size > kMaxSourceFileBytes)
      return fail("file is larger than 64 MiB");
    std::ifstream in(shown, std::ios::binary);
    if (!in)
      return fail("cannot open it for reading");
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad())
      return fail("read error");
    text = contents.str();
    return true;
  }

  template <typename T> static void moveAll(std::vector<T> &from, std::vector<T> &to) {
    for (T &item : from)
      to.push_back(std::move(item));
  }

  void append(Program program) {
    moveAll(program.configs, merged_.configs);
    moveAll(program.preprocess, merged_.preprocess);
    moveAll(program.params, merged_.params);
    moveAll(program.fns, merged_.fns);
    moveAll(program.graphs, merged_.graphs);
  }

  DiagnosticEngine &diags_;
  std::vector<Loading> stack_;
  std::set<std::string> done_;
  Program merged_;
};

} // namespace

std::optional<Program> loadProgram(const SourceFile &main, DiagnosticEngine &diags) {
  std::optional<Program> program = parseProgram(main, diags, 0);
  if (!program)
    return std::nullopt;
  ImportLoader loader(diags);
  if (!loader.load(std::move(*program), 0))
    return std::nullopt;
  return loader.take();
}

} // namespace tessera::frontend
