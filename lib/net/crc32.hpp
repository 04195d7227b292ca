#pragma once

#include <cstdint>
#include <string_view>

namespace edgent::net {

/// zlib's CRC-32 (the gzip polynomial, as crc32_z(0, ...)) of @p bytes. On x86-64 CPUs with
/// PCLMULQDQ and SSE4.1 it folds 64 bytes at a time with carry-less multiplication (Intel's
/// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"), several times faster than
/// zlib's table-driven code; elsewhere it is zlib's. The result is the same either way.
std::uint32_t crc32(std::string_view bytes);

/// zlib's own crc32_z() of @p bytes, whatever the CPU (the reference crc32() must match).
std::uint32_t crc32_zlib(std::string_view bytes);

} // namespace edgent::net
