// The resource limits of Tessera, stated once: the DSL front end, the compiler and the runtime's
// loader enforce the same numbers, so a model that compiles is one a session accepts, and a
// hostile module cannot make a session allocate more than the machine was told to give.
//
// Header-only (no link dependency): the front end includes it as well as the runtime.
#ifndef TESSERA_RUNTIME_LIMITS_H
#define TESSERA_RUNTIME_LIMITS_H

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <unistd.h>

namespace tessera::limits {

// The largest rank of any tensor: in the DSL, in a module's specs and in the kernels' ABI.
constexpr size_t kMaxRank = 8;

// The largest single tensor (input, output, parameter, intermediate) in bytes, whatever the
// machine: 2^40 bytes. Anything larger is a typo or a hostile file, not a model.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40;

// The most inputs and parameters one graph may have. Bufferization rewrites the function's
// argument attributes once per argument (quadratic time and memory in MLIR 19); real models
// have at most a few hundred parameters.
constexpr size_t kMaxGraphArguments = 4096;

// What a module may ask one session for (arena, constants, inputs and outputs together) unless
// told otherwise: half of this machine's physical memory, so a runaway request fails with a
// message instead of pushing the machine into swap or the OOM killer. 4 GiB where the size is
// unknown.
inline uint64_t defaultMaxMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0)
    return uint64_t(4) << 30;
  return uint64_t(pages) * uint64_t(pageSize) / 2;
}

// Parses "17179869184", "16G", "16GiB", "512M", "64K" (powers of 1024; a plain number is bytes).
// Returns nullopt for anything else, for zero and for sizes that do not fit in 64 bits.
inline std::optional<uint64_t> parseMemorySize(const std::string &text) {
  if (text.empty() || text[0] < '0' || text[0] > '9')
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno || value == 0)
    return std::nullopt;
  std::string unit(end);
  unsigned shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KiB")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (unit == "T" || unit == "TiB")
    shift = 40;
  else
    return std::nullopt;
  if (shift && value > (UINT64_MAX >> shift))
    return std::nullopt;
  return uint64_t(value) << shift;
}

// "20.0 GiB"-style text for messages.
inline std::string formatBytes(uint64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 6)
    v /= 1024, ++u;
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

} // namespace tessera::limits

#endif // TESSERA_RUNTIME_LIMITS_H
