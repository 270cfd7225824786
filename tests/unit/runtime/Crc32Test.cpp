#include "tessera/Crc32.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

using tessera::runtime::crc32;

namespace {

// The textbook bitwise CRC-32, to check the table-driven one against.
uint32_t bitwiseCrc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

uint32_t crcOf(const std::string &s) { return crc32(s.data(), s.size()); }

TEST(Crc32, KnownVectors) {
  EXPECT_EQ(crcOf(""), 0x00000000u);
  EXPECT_EQ(crcOf("a"), 0xE8B7BE43u);
  EXPECT_EQ(crcOf("123456789"), 0xCBF43926u);
  EXPECT_EQ(crcOf("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(crc32(zeros.data(), zeros.size()), 0x190A55ADu);
}

TEST(Crc32, MatchesBitwiseForAllLengthsAndAlignments) {
  std::mt19937 rng(1234);
  std::vector<uint8_t> data(300);
  for (uint8_t &b : data)
    b = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 9; ++offset)
    for (size_t length = 0; offset + length <= data.size(); length += 7)
      ASSERT_EQ(crc32(data.data() + offset, length), bitwiseCrc32(data.data() + offset, length))
          << "offset " << offset << " length " << length;
}

TEST(Crc32, IncrementalEqualsWhole) {
  std::string text = "Tessera modules are checksummed in pieces around the checksum field.";
  uint32_t whole = crcOf(text);
  for (size_t split = 0; split <= text.size(); ++split) {
    uint32_t crc = crc32(text.data(), split);
    crc = crc32(text.data() + split, text.size() - split, crc);
    EXPECT_EQ(crc, whole) << "split " << split;
  }
}

} // namespace
