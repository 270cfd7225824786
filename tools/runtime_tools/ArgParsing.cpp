#include "ArgParsing.h"

#include "tessera/Limits.h"

#include <sys/stat.h>

#include "Commands.h"

#include <cstdio>

#include <cerrno>
#include <cstdlib>

namespace tessera::tools {

int usageError(const char *progName, const std::string &message) {
  std::fprintf(stderr, "%s: %s\n", progName, message.c_str());
  std::fprintf(stderr, "Try '%s --help' for more information.\n", progName);
  return kExitUsage;
}

int failure(const char *progName, const std::string &message) {
  std::fprintf(stderr, "%s: error: %s\n", progName, message.c_str());
  return kExitFailure;
}

int moduleArgument(const char *progName, const std::string &arg, std::string &modulePath) {
  if (arg.size() > 1 && arg[0] == '-')
    return usageError(progName, "unknown option '" + arg + "'");
  if (!modulePath.empty())
    return usageError(progName, "unexpected argument '" + arg + "' (only one module may be given)");
  if (arg.empty())
    return usageError(progName, "empty module path");
  modulePath = arg;
  return -1;
}

bool ArgCursor::matchValue(const std::string &arg, const std::string &flag, std::string &value,
                           bool &missingValue) {
  missingValue = false;
  if (arg == flag) {
    if (done()) {
      missingValue = true;
      return true;
    }
    value = next();
    return true;
  }
  if (arg.size() > flag.size() && arg.compare(0, flag.size(), flag) == 0 &&
      arg[flag.size()] == '=') {
    value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

std::optional<int64_t> parseInteger(const std::string &text, int64_t min, int64_t max) {
  if (text.empty() || text.size() > 19)
    return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9')
      return std::nullopt;
  errno = 0;
  long long value = std::strtoll(text.c_str(), nullptr, 10);
  if (errno != 0 || value < min || value > max)
    return std::nullopt;
  return static_cast<int64_t>(value);
}

bool parseDevice(const std::string &text, runtime::SessionOptions &options) {
  if (text == "cpu") {
    options.device = runtime::Device::Cpu;
    return true;
  }
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    std::optional<int64_t> ordinal =
        text == "cuda" ? std::optional<int64_t>(0) : parseInteger(text.substr(5), 0, 1023);
    if (!ordinal)
      return false;
    options.device = runtime::Device::Cuda;
    options.cudaDevice = int(*ordinal);
    return true;
  }
  return false;
}

bool parseMaxMemory(const std::string &text, runtime::SessionOptions &options) {
  std::optional<uint64_t> bytes = limits::parseMemorySize(text);
  if (!bytes)
    return false;
  options.maxMemoryBytes = *bytes;
  return true;
}

bool sameExistingFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

} // namespace tessera::tools
