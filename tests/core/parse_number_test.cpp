#include "core/parse_number.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace edgent {
namespace {

TEST(ParseNumber, DoubleAcceptsDecimalNumbersAndOneLeadingPlus) {
  EXPECT_EQ(parse_double("1"), 1.0);
  EXPECT_EQ(parse_double("-0.5"), -0.5);
  EXPECT_EQ(parse_double("2e-3"), 2e-3);
  EXPECT_EQ(parse_double(".5"), 0.5);
  EXPECT_EQ(parse_double("+1"), 1.0);
  EXPECT_EQ(parse_double("+5e3"), 5000.0);
  const auto zero = parse_double("-0");
  ASSERT_TRUE(zero);
  EXPECT_EQ(*zero, 0.0);
  EXPECT_TRUE(std::signbit(*zero));
}

TEST(ParseNumber, DoubleRefusesAnythingButTheWholeFiniteNumber) {
  for (const char* bad : {"", "+", "-", "1e400", "-1e400", "nan", "NaN", "inf", "-inf", "infinity",
                          "0x10", " 1", "1 ", "1\r", "\t1", "1ms", "++1", "+-1", "-+1", "1,5",
                          "1e", "e1"}) {
    EXPECT_FALSE(parse_double(bad)) << "'" << bad << "'";
  }
}

TEST(ParseNumber, IntegerIsDigitsWithAnOptionalMinus) {
  EXPECT_EQ(parse_integer("42"), 42);
  EXPECT_EQ(parse_integer("-7"), -7);
  EXPECT_EQ(parse_integer("-0"), 0);
  EXPECT_EQ(parse_integer("007"), 7);
  EXPECT_EQ(parse_integer("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  for (const char* bad : {"", "+1", "-", "1e400", "1e3", "1.0", "nan", "0x10", " 1", "1 ",
                          "9223372036854775808"}) {
    EXPECT_FALSE(parse_integer(bad)) << "'" << bad << "'";
  }
}

TEST(ParseNumber, IntegerHonoursItsRange) {
  EXPECT_EQ(parse_integer("1", 1, 65535), 1);
  EXPECT_EQ(parse_integer("65535", 1, 65535), 65535);
  EXPECT_FALSE(parse_integer("0", 1, 65535));
  EXPECT_FALSE(parse_integer("65536", 1, 65535));
  EXPECT_FALSE(parse_integer("-1", 0, 10));
}

TEST(ParseNumber, UnsignedIsDigitsOnly) {
  EXPECT_EQ(parse_unsigned("0"), 0u);
  EXPECT_EQ(parse_unsigned("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_unsigned("4096", 4096), 4096u);
  EXPECT_FALSE(parse_unsigned("4097", 4096));
  for (const char* bad : {"", "+1", "-0", "-1", "1e400", "18446744073709551616", "nan", "0x10",
                          " 1", "1 ", "1K"}) {
    EXPECT_FALSE(parse_unsigned(bad)) << "'" << bad << "'";
  }
}

} // namespace
} // namespace edgent
