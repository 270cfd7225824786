#include "tessera/SeededFill.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace tessera::runtime;

namespace {

TEST(SeededFill, Splitmix64KnownValues) {
  // First outputs of the reference splitmix64 generator seeded with 0 (state advances by the
  // golden gamma, so output k is splitmix64(k * gamma)).
  EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(splitmix64(0x9E3779B97F4A7C15ull), 0x6E789E6AA1B965F4ull);
}

TEST(SeededFill, UnitValueFromTopBits) {
  // u = (splitmix64(seed + i) >> 40) * 2^-24.
  EXPECT_EQ(seededUnit(0, 0), static_cast<float>(0xE220A8) / 16777216.0f);
  EXPECT_EQ(seededUniformF32(0, 0, 0.0f, 1.0f), static_cast<float>(0xE220A8) / 16777216.0f);
  EXPECT_EQ(seededUniformF32(0, 0, 2.0f, 2.0f), 2.0f);
}

TEST(SeededFill, FormulaRoundsOneOperationAtATime) {
  for (uint64_t i = 0; i < 1000; ++i) {
    volatile float range = 0.3f - -0.7f;
    volatile float product = range * seededUnit(99, i);
    volatile float expected = -0.7f + product;
    ASSERT_EQ(seededUniformF32(99, i, -0.7f, 0.3f), expected) << i;
  }
}

TEST(SeededFill, DeterministicAndChunkIndependent) {
  std::vector<float> whole(1000), pieces(1000);
  fillSeededUniformF32(whole.data(), whole.size(), 7, -2.0f, 3.0f);
  for (size_t first = 0; first < 1000; first += 300)
    fillSeededUniformF32(pieces.data() + first, std::min<size_t>(300, 1000 - first), 7, -2.0f, 3.0f,
                         first);
  EXPECT_EQ(whole, pieces);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i], seededUniformF32(7, i, -2.0f, 3.0f));
    EXPECT_GE(whole[i], -2.0f);
    EXPECT_LE(whole[i], 3.0f);
  }
  std::vector<float> other(1000);
  fillSeededUniformF32(other.data(), other.size(), 8, -2.0f, 3.0f);
  EXPECT_NE(whole, other);
}

TEST(SeededFill, RoughlyUniform) {
  std::vector<float> v(100000);
  fillSeededUniformF32(v.data(), v.size(), 12345, 0.0f, 1.0f);
  double sum = 0;
  for (float x : v)
    sum += x;
  EXPECT_NEAR(sum / v.size(), 0.5, 0.01);
}

TEST(SeededFill, IndexWrapsModulo2To64) { EXPECT_EQ(seededUnit(~0ull, 1), seededUnit(0, 0)); }

} // namespace
