#include "net/crc32.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace edgent::net {
namespace {

std::uint32_t zlib_crc(const std::string& s) {
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(s.data()), s.size()));
}

TEST(Crc32, KnownValue) {
  // The CRC-32 check value of the nine ASCII digits (zlib, gzip, PNG).
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
}

TEST(Crc32, MatchesZlibAtEveryLengthAndAlignment) {
  // Lengths around the folded path's edges (64 bytes at least, 16-byte steps, a tail left to
  // zlib) and tensor-sized buffers, at every offset within 16 bytes.
  std::mt19937 rng(7);
  std::string buffer(602112 + 16 + 1, '\0');
  for (auto& c : buffer) {
    c = static_cast<char>(rng());
  }
  for (std::size_t len : {0, 1, 15, 16, 17, 63, 64, 65, 79, 80, 81, 127, 128, 129, 143, 144, 200,
                          1000, 3136, 3216, 4096, 65536, 602112, 602113}) {
    for (std::size_t offset = 0; offset < 16; ++offset) {
      const std::string s = buffer.substr(offset, len);
      ASSERT_EQ(crc32(s), zlib_crc(s)) << "length " << len << " offset " << offset;
      ASSERT_EQ(crc32_zlib(s), zlib_crc(s));
    }
  }
}

TEST(Crc32, MatchesZlibOnConstantBytes) {
  for (const char c : {'\0', '\xff', 'a'}) {
    const std::string s(1000, c);
    EXPECT_EQ(crc32(s), zlib_crc(s));
  }
}

} // namespace
} // namespace edgent::net
