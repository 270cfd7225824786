#include "TestModuleBuilder.h"

#include "tessera/Safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

// A file from a raw header string and data bytes.
std::vector<uint8_t> makeFile(const std::string &header, const std::vector<uint8_t> &data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>(uint64_t(header.size()) >> (8 * i));
  out += header;
  out.append(data.begin(), data.end());
  return std::vector<uint8_t>(out.begin(), out.end());
}

std::string openError(const std::vector<uint8_t> &bytes) {
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::fromBytes(bytes.data(), bytes.size(), "w.safetensors");
  return file ? std::string("<no error>") : file.error().message();
}

TEST(Safetensors, WriteThenRead) {
  TempDir dir;
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  std::vector<float> b = {-1.5f};
  ASSERT_FALSE(writeSafetensorsF32(dir.path("w.safetensors"),
                                   {{"layer.0.weight", {2, 3}, a.data()},
                                    {"bias \"quoted\"", {}, b.data()},
                                    {"empty", {0, 5}, nullptr}},
                                   {{"format", "pt"}, {"note", "line\nbreak"}}));
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::open(dir.path("w.safetensors"));
  ASSERT_TRUE(file) << file.error().message();
  const SafetensorsFile &f = **file;
  EXPECT_EQ(f.names(), (std::vector<std::string>{"layer.0.weight", "bias \"quoted\"", "empty"}));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.metadata().at("note"), "line\nbreak");
  const SafetensorsTensor *w = f.find("layer.0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, SafetensorsDType::F32);
  EXPECT_EQ(w->shape, (Shape{2, 3}));
  EXPECT_EQ(w->size, 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w->data) % 64, 0u); // The writer aligns the data.
  Expected<Tensor> t = f.readF32("layer.0.weight");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::vector<float>(t->dataAs<float>(), t->dataAs<float>() + 6), a);
  Expected<Tensor> scalar = f.readF32("bias \"quoted\"");
  ASSERT_TRUE(scalar);
  EXPECT_EQ(scalar->dataAs<float>()[0], -1.5f);
  EXPECT_EQ(f.find("nope"), nullptr);
  Expected<const SafetensorsTensor *> missing = f.get("nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("no tensor named 'nope'"), std::string::npos);
}

TEST(Safetensors, WriterRejectsBadEntries) {
  float x = 0;
  EXPECT_FALSE(encodeSafetensorsF32({{"a", {1}, &x}, {"a", {1}, &x}}));
  EXPECT_FALSE(encodeSafetensorsF32({{"__metadata__", {1}, &x}}));
  EXPECT_FALSE(encodeSafetensorsF32({{"a", {-1}, &x}}));
  EXPECT_FALSE(encodeSafetensorsF32({{"a", {2}, nullptr}}));
}

TEST(Safetensors, ConvertsToF32) {
  // F64 [1.5, -2], F16 [1, -2, 65504, 2^-24 (subnormal)], BF16 [1, -3.5].
  std::vector<uint8_t> data;
  auto append = [&](const void *p, size_t n) {
    const auto *b = static_cast<const uint8_t *>(p);
    data.insert(data.end(), b, b + n);
  };
  double f64[2] = {1.5, -2.0};
  append(f64, 16);
  uint16_t f16[4] = {0x3C00, 0xC000, 0x7BFF, 0x0001};
  append(f16, 8);
  uint16_t bf16[2] = {0x3F80, 0xC060};
  append(bf16, 4);
  std::string header = R"({"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
                       R"("h":{"dtype":"F16","shape":[4],"data_offsets":[16,24]},)"
                       R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]}})";
  std::vector<uint8_t> bytes = makeFile(header, data);
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::fromBytes(bytes.data(), bytes.size(), "c");
  ASSERT_TRUE(file) << file.error().message();
  Expected<Tensor> d = (*file)->readF32("d");
  Expected<Tensor> h = (*file)->readF32("h");
  Expected<Tensor> b = (*file)->readF32("b");
  ASSERT_TRUE(d && h && b);
  EXPECT_EQ(d->dataAs<float>()[0], 1.5f);
  EXPECT_EQ(d->dataAs<float>()[1], -2.0f);
  EXPECT_EQ(h->dataAs<float>()[0], 1.0f);
  EXPECT_EQ(h->dataAs<float>()[1], -2.0f);
  EXPECT_EQ(h->dataAs<float>()[2], 65504.0f);
  EXPECT_EQ(h->dataAs<float>()[3], 5.9604644775390625e-8f);
  EXPECT_EQ(b->dataAs<float>()[0], 1.0f);
  EXPECT_EQ(b->dataAs<float>()[1], -3.5f);
}

TEST(Safetensors, UnconvertibleDType) {
  std::vector<uint8_t> bytes = makeFile(R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                                        std::vector<uint8_t>(8));
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::fromBytes(bytes.data(), bytes.size(), "c");
  ASSERT_TRUE(file);
  EXPECT_EQ((*file)->find("i")->dtype, SafetensorsDType::I64);
  Expected<Tensor> t = (*file)->readF32("i");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message(),
            "c: tensor 'i' has dtype I64; only F32, F64, F16 and BF16 can be read as f32");
}

TEST(Safetensors, BadFiles) {
  const std::string one = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(openError(makeFile(one, std::vector<uint8_t>(8))), "<no error>");
  EXPECT_EQ(openError({1, 2, 3}),
            "w.safetensors: truncated: 3 bytes, too short for the 8-byte header length");
  std::vector<uint8_t> longHeader = makeFile(one, {});
  longHeader[0] = 0xFF;
  EXPECT_NE(openError(longHeader).find("truncated: header length"), std::string::npos);
  std::vector<uint8_t> hugeHeader = makeFile(one, {});
  hugeHeader[6] = 1;
  EXPECT_NE(openError(hugeHeader).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(openError(makeFile("[1]", {})).find("does not start with '{'"), std::string::npos);
  EXPECT_NE(openError(makeFile("{\"a\":", {})).find("header: invalid JSON"), std::string::npos);
  EXPECT_EQ(openError(makeFile(R"({"a":1})", {})),
            "w.safetensors: tensor 'a': expected an object, got number");
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F32","shape":[2]}})", {})),
            "w.safetensors: tensor 'a': missing \"data_offsets\"");
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})",
                               std::vector<uint8_t>(8))),
            "w.safetensors: tensor 'a': unknown dtype 'F17'");
  EXPECT_NE(openError(makeFile(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                               std::vector<uint8_t>(8)))
                .find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(openError(makeFile(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})",
                               std::vector<uint8_t>(8)))
                .find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(openError(makeFile(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                               R"("data_offsets":[0,8]}})",
                               std::vector<uint8_t>(8)))
                .find("absurd shape"),
            std::string::npos);
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                               std::vector<uint8_t>(8))),
            "w.safetensors: tensor 'a': data_offsets [8, 0) has begin > end");
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})",
                               std::vector<uint8_t>(8))),
            "w.safetensors: tensor 'a': data_offsets [0, 16) exceed the data area of 8 bytes");
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                               std::vector<uint8_t>(8))),
            "w.safetensors: tensor 'a': data_offsets [0, 8) hold 8 bytes, but F32[3] needs 12");
  EXPECT_NE(openError(makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})",
                               std::vector<uint8_t>(8)))
                .find("[begin, end]"),
            std::string::npos);
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                               std::vector<uint8_t>(8))),
            "w.safetensors: tensors 'a' and 'b' overlap in the data area");
  EXPECT_EQ(openError(makeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                               std::vector<uint8_t>(8))),
            "w.safetensors: bytes [0, 4) of the data area belong to no tensor");
  EXPECT_EQ(openError(makeFile(one, std::vector<uint8_t>(12))),
            "w.safetensors: 4 bytes after the last tensor belong to no tensor");
  EXPECT_EQ(openError(makeFile(R"({"__metadata__":{"k":1}})", {})),
            "w.safetensors: __metadata__ value of \"k\" must be a string");
  EXPECT_EQ(openError(makeFile(R"({"__metadata__":[]})", {})),
            "w.safetensors: __metadata__ must be an object");
  // Zero-sized tensors may share an offset with their neighbours.
  EXPECT_EQ(openError(makeFile(R"({"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},)"
                               R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("y":{"dtype":"I8","shape":[0, 3],"data_offsets":[0,0]}})",
                               std::vector<uint8_t>(8))),
            "<no error>");
  TempDir dir;
  Expected<std::unique_ptr<SafetensorsFile>> missing = SafetensorsFile::open(dir.path("no"));
  ASSERT_FALSE(missing);
}

TEST(Safetensors, TruncationsAndGarbage) {
  std::vector<float> values(10, 1.0f);
  Expected<std::vector<uint8_t>> full =
      encodeSafetensorsF32({{"a", {2, 5}, values.data()}, {"b", {3}, values.data()}});
  ASSERT_TRUE(full);
  for (size_t length = 0; length < full->size(); ++length)
    ASSERT_NE(openError(std::vector<uint8_t>(full->begin(), full->begin() + length)), "<no error>")
        << length;
  std::mt19937 rng(3);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = *full;
    for (int k = 0; k < 2; ++k)
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    (void)openError(bytes); // Success or a clean error; never a crash.
  }
}

} // namespace
