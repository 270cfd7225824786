// Deterministic fill of SeededUniform constants. The compiler's reference interpreter and tests
// must produce exactly these values, so the formula lives here once:
//
//   u(seed, i) = (splitmix64(seed + i) >> 40) * 2^-24          (exact in float: 24 bits)
//   element i  = low + (high - low) * u(seed, i)
//
// evaluated in float32 one operation at a time (round after the subtraction, the product and
// the sum; no FMA). numpy reproduces it with float32 arrays:
//   low + (high - low) * u   where low, high, u are np.float32.
// seed + i wraps modulo 2^64.
#ifndef TESSERA_RUNTIME_SEEDEDFILL_H
#define TESSERA_RUNTIME_SEEDEDFILL_H

#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

// The standard splitmix64 finalizer (Steele, Lea, Flood 2014), one step from state x.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// u(seed, i) in [0, 1), a multiple of 2^-24.
inline float seededUnit(uint64_t seed, uint64_t index) {
  return static_cast<float>(splitmix64(seed + index) >> 40) * (1.0f / 16777216.0f);
}

// Element `index` of a SeededUniform f32 constant. Defined out of line, in a file compiled
// without floating-point contraction, so every caller gets identical bits.
float seededUniformF32(uint64_t seed, uint64_t index, float low, float high);

// Writes elements [first, first + count) of the constant into out[0, count).
void fillSeededUniformF32(float *out, size_t count, uint64_t seed, float low, float high,
                          uint64_t first = 0);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SEEDEDFILL_H
