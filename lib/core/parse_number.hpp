#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

/// The one parser of numbers written as text: trace rows, HTTP header values, option values,
/// schema version strings. The whole text must be the number: surrounding spaces, trailing
/// units, hexadecimal ("0x10"), "inf" and "nan" are refused. Callers report the failure with
/// their own file, line and key.
namespace edgent {

/// A finite decimal number ("1", "-0.5", "2e-3", ".5", "-0" = -0.0), with an optional single
/// leading '+' ("+5e3": trace files and command lines may hold one). Nullopt when @p text is
/// not one, or its magnitude is too large for a double ("1e400").
std::optional<double> parse_double(std::string_view text);

/// A decimal integer in [@p lo, @p hi]: an optional '-' and the digits 0-9, no '+' ("-0" = 0).
/// Nullopt when @p text is not one or is out of range.
std::optional<std::int64_t> parse_integer(std::string_view text,
                                          std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                                          std::int64_t hi = std::numeric_limits<std::int64_t>::max());

/// A count or size: the digits 0-9 only (no sign), at most @p hi. Nullopt when @p text is not
/// one or is larger.
std::optional<std::uint64_t> parse_unsigned(std::string_view text,
                                            std::uint64_t hi = std::numeric_limits<std::uint64_t>::max());

} // namespace edgent
