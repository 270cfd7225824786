// Compiled with -ffp-contract=off (see runtime/CMakeLists.txt): each float operation rounds on
// its own, exactly as the formula in SeededFill.h states.
#include "tessera/SeededFill.h"

namespace tessera::runtime {

float seededUniformF32(uint64_t seed, uint64_t index, float low, float high) {
  float range = high - low;
  return low + range * seededUnit(seed, index);
}

void fillSeededUniformF32(float *out, size_t count, uint64_t seed, float low, float high,
                          uint64_t first) {
  float range = high - low;
  for (size_t i = 0; i < count; ++i)
    out[i] = low + range * seededUnit(seed, first + i);
}

} // namespace tessera::runtime
