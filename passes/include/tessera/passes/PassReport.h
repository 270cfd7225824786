// What the project's passes did, for `--pass-statistics`. MLIR's pass statistics are compiled
// out of release builds of LLVM (Debian's among them), so the passes also count here.
#ifndef TESSERA_PASSES_PASSREPORT_H
#define TESSERA_PASSES_PASSREPORT_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace tessera {

/// Adds `value` to the counter "`pass`: `what`" (thread-safe; passes run on many functions).
void reportStatistic(llvm::StringRef pass, llvm::StringRef what, int64_t value);

/// One line per counter, "pass: value what", in the order counters were first reported; then
/// clears them.
std::string takeStatisticsReport();

} // namespace tessera

#endif // TESSERA_PASSES_PASSREPORT_H
