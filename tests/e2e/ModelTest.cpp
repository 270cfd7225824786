// The models in models/, compiled at several configurations and checked against the
// reference interpreter (relative L2 error <= kRelTol = 1e-5 per output, threads 1 and 2).
#include "E2EHarness.h"

namespace tessera::e2e {
namespace {

CheckOptions seeded(uint64_t seed) {
  CheckOptions o;
  o.seed = seed;
  return o;
}

CheckOptions seededFill(uint64_t seed, uint64_t moduleSeed) {
  CheckOptions o;
  o.seed = seed;
  o.seededWeights = true;
  o.moduleSeed = moduleSeed;
  return o;
}

TEST_F(E2ETest, MlpDefault) { check(fromFile("models/mlp.tg")); }

TEST_F(E2ETest, MlpTiny) {
  check(fromFile("models/mlp.tg", {{"B", "1"}, {"IN", "3"}, {"HID", "5"}, {"OUT", "7"}}),
        seeded(2));
}

TEST_F(E2ETest, MlpWide) {
  check(fromFile("models/mlp.tg", {{"B", "4"}, {"IN", "33"}, {"HID", "64"}, {"OUT", "10"}}),
        seeded(3));
}

TEST_F(E2ETest, BlockDefault) { check(fromFile("models/block.tg")); }

TEST_F(E2ETest, BlockSmall) {
  check(
      fromFile("models/block.tg", {{"B", "1"}, {"T", "5"}, {"D", "32"}, {"H", "2"}, {"MLP", "48"}}),
      seeded(4));
}

TEST_F(E2ETest, BlockWide) {
  check(
      fromFile("models/block.tg", {{"B", "3"}, {"T", "9"}, {"D", "48"}, {"H", "6"}, {"MLP", "96"}}),
      seeded(5));
}

// Compiled without weights: the module carries the seeded fill, and the interpreter gets the
// same values from runtime::fillSeededUniformF32 with codegen's seededRange / parameterSeed.
TEST_F(E2ETest, MlpSeededFill) { check(fromFile("models/mlp.tg"), seededFill(6, 42)); }

TEST_F(E2ETest, BlockSeededFill) {
  check(
      fromFile("models/block.tg", {{"B", "1"}, {"T", "5"}, {"D", "32"}, {"H", "2"}, {"MLP", "48"}}),
      seededFill(7, 0x7e55e7a));
}

// A contraction reading a row block of a parameter (DETR's in_proj_weight[dim:2 dim]) packs
// that block from its element offset, from the weights file and from the seeded fill alike.
TEST_F(E2ETest, PackedParameterSlice) {
  const char *text = R"(
param w: f32[48, 16]
graph g(x: f32[5, 16]) -> (y: f32[5, 16]) { return matmul(x, w[16:32], transpose_b = true) }
)";
  check(fromDSL("slice.tg", text), seeded(7));
  check(fromDSL("slice.tg", text), seededFill(7, 99));
}

} // namespace
} // namespace tessera::e2e
