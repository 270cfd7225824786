#include "tessera/Packing.h"
#include "tessera/FmaPeak.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

using namespace tessera::runtime;

namespace {

TEST(Packing, LinearWeightPanels) {
  // A [5, 3] weight in panels of 2 rows: [3, 3, 2], the last panel padded with zeros.
  PanelPacking p{{5, 3}, {0, 1}, 0, 2};
  Expected<Shape> shape = packedShape(p);
  ASSERT_TRUE(bool(shape)) << shape.error().message();
  EXPECT_EQ(*shape, (Shape{3, 3, 2}));
  std::vector<float> w(15);
  std::iota(w.begin(), w.end(), 0.0f); // w[r][c] = 3 r + c
  std::vector<float> out(18, -1.0f);
  packPanels(w.data(), p, out.data());
  for (int panel = 0; panel < 3; ++panel)
    for (int k = 0; k < 3; ++k)
      for (int l = 0; l < 2; ++l) {
        int row = panel * 2 + l;
        float expected = row < 5 ? float(3 * row + k) : 0.0f;
        EXPECT_EQ(out[(panel * 3 + k) * 2 + l], expected) << panel << " " << k << " " << l;
      }
}

TEST(Packing, PermutedSourceAndOuterDims) {
  // Source [2, 4, 3] (g, k, n) packed as (g, n-panels, k, lanes) with panels of 2 along n.
  PanelPacking p{{2, 4, 3}, {0, 2, 1}, 1, 2};
  Expected<Shape> shape = packedShape(p);
  ASSERT_TRUE(bool(shape));
  EXPECT_EQ(*shape, (Shape{2, 2, 4, 2}));
  std::vector<float> s(24);
  std::iota(s.begin(), s.end(), 1.0f);
  std::vector<float> out(32, -1.0f);
  packPanels(s.data(), p, out.data());
  for (int g = 0; g < 2; ++g)
    for (int panel = 0; panel < 2; ++panel)
      for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 2; ++l) {
          int n = panel * 2 + l;
          float expected = n < 3 ? s[(g * 4 + k) * 3 + n] : 0.0f;
          EXPECT_EQ(out[((g * 2 + panel) * 4 + k) * 2 + l], expected);
        }
}

TEST(Packing, RejectsInconsistentDescriptions) {
  EXPECT_FALSE(bool(packedShape({{4, 4}, {0, 0}, 0, 2})));    // not a permutation
  EXPECT_FALSE(bool(packedShape({{4, 4}, {0, 1, 2}, 0, 2}))); // wrong length
  EXPECT_FALSE(bool(packedShape({{4, 4}, {0, 1}, 2, 2})));    // panel dim out of range
  EXPECT_FALSE(bool(packedShape({{4, 4}, {0, 1}, 0, 0})));    // empty panels
  EXPECT_FALSE(bool(packedShape({{}, {}, 0, 2})));            // scalar
  EXPECT_FALSE(bool(packedShape({{int64_t(1) << 40, int64_t(1) << 40}, {0, 1}, 0, 2})));
}

TEST(FmaPeak, MeasuresSomething) {
  FmaPeak one = measureFmaPeak(1, 0.01, 1);
  EXPECT_GT(one.gflops, 0.1);
  EXPECT_EQ(one.threads, 1u);
  EXPECT_TRUE(one.vectorBits == 128 || one.vectorBits == 256 || one.vectorBits == 512);
}

} // namespace
