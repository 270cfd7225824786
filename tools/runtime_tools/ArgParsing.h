// Minimal command-line helpers for the runtime commands: `--flag VALUE` / `--flag=VALUE`
// options and strict integer parsing.
#ifndef TESSERA_TOOLS_ARGPARSING_H
#define TESSERA_TOOLS_ARGPARSING_H

#include "tessera/Session.h"
#include <cstdint>

#include <optional>
#include <string>

namespace tessera::tools {

// Walks argv one argument at a time.
class ArgCursor {
public:
  ArgCursor(int argc, char **argv) : argc_(argc), argv_(argv) {}

  bool done() const { return index_ >= argc_; }
  std::string next() { return argv_[index_++]; }

  // If `arg` is `flag` or `flag=...`, stores its value (taking the next argument for the
  // first form) and returns true. Sets `missingValue` when the value is absent.
  bool matchValue(const std::string &arg, const std::string &flag, std::string &value,
                  bool &missingValue);

private:
  int argc_;
  char **argv_;
  int index_ = 0;
};

// "PROG: MESSAGE" and a pointer to --help on stderr; returns kExitUsage.
int usageError(const char *progName, const std::string &message);

// "PROG: error: MESSAGE" on stderr; returns kExitFailure.
int failure(const char *progName, const std::string &message);

// Takes `arg`, not a known flag, as the module path: -1 when it is one, else the exit code
// of the usage error (an unknown option, or a second module).
int moduleArgument(const char *progName, const std::string &arg, std::string &modulePath);

// Parses a decimal integer in [min, max] with nothing else around it.
std::optional<int64_t> parseInteger(const std::string &text, int64_t min, int64_t max);

// Parses --device: "cpu" or "cuda" (device 0) or "cuda:N".
bool parseDevice(const std::string &text, runtime::SessionOptions &options);

// Parses --max-memory: "8G", "512M", "64K" or a number of bytes.
bool parseMaxMemory(const std::string &text, runtime::SessionOptions &options);

// Whether two paths name the same existing file (hard links and relative paths included).
bool sameExistingFile(const std::string &a, const std::string &b);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_ARGPARSING_H
