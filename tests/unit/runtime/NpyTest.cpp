#include "TestModuleBuilder.h"

#include "tessera/Npy.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

// A .npy file with an arbitrary header dict and payload, for version `major`.0.
std::vector<uint8_t> makeNpy(const std::string &dict, size_t payloadBytes, int major = 1) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  std::string header = dict + "\n";
  uint32_t length = static_cast<uint32_t>(header.size());
  int lengthBytes = major == 1 ? 2 : 4;
  for (int i = 0; i < lengthBytes; ++i)
    out.push_back(static_cast<uint8_t>(length >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  for (size_t i = 0; i < payloadBytes; ++i)
    out.push_back(static_cast<uint8_t>(i));
  return out;
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  Expected<Tensor> tensor = parseNpy(bytes.data(), bytes.size());
  return tensor ? std::string("<no error>") : tensor.error().message();
}

TEST(Npy, RoundTripF32) {
  for (const Shape &shape :
       {Shape{}, Shape{0}, Shape{3}, Shape{2, 3}, Shape{2, 0, 4}, Shape{1, 2, 3, 4}}) {
    Expected<Tensor> source = Tensor::zeros(DType::F32, shape);
    ASSERT_TRUE(source);
    for (uint64_t i = 0; i < source->numElements(); ++i)
      source->dataAs<float>()[i] = 0.5f * static_cast<float>(i) - 1.0f;
    std::vector<uint8_t> encoded = encodeNpy(DType::F32, shape, source->data());
    // numpy's layout: the data starts on a 64-byte boundary after a '\n'-terminated header.
    size_t headerLength = encoded[8] | (encoded[9] << 8);
    EXPECT_EQ((10 + headerLength) % 64, 0u);
    EXPECT_EQ(encoded[10 + headerLength - 1], '\n');
    Expected<Tensor> decoded = parseNpy(encoded.data(), encoded.size());
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(decoded->dtype(), DType::F32);
    EXPECT_EQ(decoded->shape(), shape);
    ASSERT_EQ(decoded->byteSize(), source->byteSize());
    EXPECT_EQ(std::memcmp(decoded->data(), source->data(), source->byteSize()), 0);
  }
}

TEST(Npy, HeaderTextMatchesNumpy) {
  float values[3] = {1, 2, 3};
  std::vector<uint8_t> encoded = encodeNpy(DType::F32, {3}, values);
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  std::string expected = dict + std::string(128 - 10 - dict.size() - 1, ' ') + "\n";
  EXPECT_EQ(std::string(encoded.begin() + 10, encoded.begin() + 128), expected);
  EXPECT_EQ(encoded.size(), 128u + 12u);
}

TEST(Npy, FileRoundTripAllDTypes) {
  TempDir dir;
  int32_t i32[4] = {1, -2, 3, -4};
  int64_t i64[2] = {int64_t(1) << 40, -7};
  ASSERT_FALSE(writeNpyFile(dir.path("a.npy"), DType::I32, {2, 2}, i32));
  ASSERT_FALSE(writeNpyFile(dir.path("b.npy"), DType::I64, {2}, i64));
  Expected<Tensor> a = readNpyFile(dir.path("a.npy"));
  Expected<Tensor> b = readNpyFile(dir.path("b.npy"));
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->dtype(), DType::I32);
  EXPECT_EQ(a->dataAs<int32_t>()[3], -4);
  EXPECT_EQ(b->dtype(), DType::I64);
  EXPECT_EQ(b->dataAs<int64_t>()[0], int64_t(1) << 40);
  Expected<Tensor> missing = readNpyFile(dir.path("missing.npy"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("cannot open"), std::string::npos);
}

TEST(Npy, Versions2And3AndVariants) {
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 2)),
            "<no error>");
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 3)),
            "<no error>");
  // Key order, double quotes, no trailing comma, Python 2 long suffix, extra spaces.
  EXPECT_EQ(
      parseError(makeNpy("{ \"shape\" : ( 2L , 3 ) , 'descr':'<i4','fortran_order':False}", 24)),
      "<no error>");
  Expected<Tensor> scalar =
      parseNpy(makeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 8).data(),
               makeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 8).size());
  ASSERT_TRUE(scalar);
  EXPECT_EQ(scalar->shape(), Shape{});
  EXPECT_EQ(scalar->numElements(), 1u);
}

TEST(Npy, BadInputs) {
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(parseError({}), "empty file, expected a .npy array");
  EXPECT_EQ(parseError({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}), "not a .npy file (bad magic)");
  std::vector<uint8_t> version = makeNpy(good, 24);
  version[6] = 4;
  EXPECT_EQ(parseError(version), "unsupported .npy format version 4.0");
  std::vector<uint8_t> full = makeNpy(good, 24);
  // Every truncation fails cleanly.
  for (size_t length = 0; length < full.size(); ++length) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + length);
    ASSERT_NE(parseError(cut), "<no error>") << length;
  }
  EXPECT_NE(
      parseError(std::vector<uint8_t>(full.begin(), full.begin() + 20)).find("truncated header"),
      std::string::npos);
  EXPECT_EQ(parseError(makeNpy(good, 20)), "truncated data: f32[2, 3] needs 24 bytes, file has 20");
  EXPECT_EQ(parseError(makeNpy(good, 28)),
            "data size mismatch: f32[2, 3] needs 24 bytes, file has 28");
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24)),
            "fortran_order is True: save a C-ordered array (np.save(f, np.ascontiguousarray(a)))");
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16)),
            "unsupported dtype '<f8' (float64): convert to float32");
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4)),
            "unsupported dtype '<f2' (float16): convert to float32");
  EXPECT_NE(parseError(makeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8))
                .find("big-endian"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 2))
                .find("(bool)"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '<U8', 'fortran_order': False, 'shape': (2,), }", 64))
                .find("unsupported dtype '<U8'"),
            std::string::npos);
  EXPECT_NE(
      parseError(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8))
          .find("structured"),
      std::string::npos);
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, }", 0)),
            "malformed header: missing 'shape'");
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 0))
                .find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(
      parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8))
          .find("unexpected key 'x'"),
      std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                               "'shape': (2,), }",
                               8))
                .find("duplicate key 'descr'"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8))
                .find("fortran_order must be True or False"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("not a dict", 8)).find("malformed header"), std::string::npos);
  EXPECT_NE(parseError(makeNpy(good + " trailing", 24)).find("unexpected text"), std::string::npos);
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (4294967296, 4294967296), }",
                               0)),
            "absurd shape [4294967296, 4294967296]");
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (99999999999999999999,), }",
                               0))
                .find("absurd dimension"),
            std::string::npos);
  std::vector<uint8_t> huge = makeNpy(good, 24, 2);
  huge[8] = huge[9] = huge[10] = huge[11] = 0xFF;
  EXPECT_NE(parseError(huge).find("too large"), std::string::npos);
}

TEST(Npy, RandomGarbageAfterMagic) {
  std::vector<uint8_t> base =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  uint32_t state = 1;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = base;
    for (int k = 0; k < 3; ++k) {
      state = state * 1664525u + 1013904223u;
      bytes[6 + state % (bytes.size() - 6)] = static_cast<uint8_t>(state >> 24);
    }
    (void)parseError(bytes); // Must not crash; the result may be success or an error.
  }
}

} // namespace
