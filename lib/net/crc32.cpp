#include "net/crc32.hpp"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EDGENT_CRC32_CLMUL 1
#include <immintrin.h>
#endif

namespace edgent::net {

std::uint32_t crc32_zlib(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

#ifdef EDGENT_CRC32_CLMUL
namespace {

/// The CRC state (pre- and post-inverted, as zlib keeps it inside) of @p len bytes at @p buf,
/// @p len at least 64 and a multiple of 16, continuing from state @p crc. The constants are
/// powers of x modulo the bit-reflected polynomial 0x104C11DB7 for folding by four blocks and
/// by one, and the Barrett reduction's quotient and polynomial, as in Intel's paper (and
/// Chromium's zlib, crc32_simd.c). tests/net/crc32_test.cpp checks the result against zlib.
__attribute__((target("pclmul,sse4.1"))) inline __m128i load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

/// @p acc folded forward by the distance @p k's constants stand for, then @p next added.
__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i acc, __m128i next,
                                                             __m128i k) {
  const __m128i lo = _mm_clmulepi64_si128(acc, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(acc, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(hi, next), lo);
}

__attribute__((target("pclmul,sse4.1"))) std::uint32_t crc32_fold(const unsigned char* buf,
                                                                   std::size_t len,
                                                                   std::uint32_t crc) {
  alignas(16) static const std::uint64_t k1k2[] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static const std::uint64_t k3k4[] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static const std::uint64_t k5k0[] = {0x0163cd6124, 0x0000000000};
  alignas(16) static const std::uint64_t poly[] = {0x01db710641, 0x01f7011641};
  __m128i x1 = load(buf + 0x00);
  __m128i x2 = load(buf + 0x10);
  __m128i x3 = load(buf + 0x20);
  __m128i x4 = load(buf + 0x30);
  x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(k1k2));
  buf += 64;
  len -= 64;
  // Four blocks of 16 bytes folded in parallel.
  while (len >= 64) {
    const __m128i x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    const __m128i x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
    const __m128i x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
    const __m128i x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
    x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
    x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), load(buf + 0x00));
    x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), load(buf + 0x10));
    x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), load(buf + 0x20));
    x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), load(buf + 0x30));
    buf += 64;
    len -= 64;
  }
  // Four into one.
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(k3k4));
  x1 = fold(x1, x2, x0);
  x1 = fold(x1, x3, x0);
  x1 = fold(x1, x4, x0);
  while (len >= 16) {
    x1 = fold(x1, load(buf), x0);
    buf += 16;
    len -= 16;
  }
  // 128 bits to 64.
  __m128i x2b = _mm_clmulepi64_si128(x1, x0, 0x10);
  const __m128i mask = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_srli_si128(x1, 8);
  x1 = _mm_xor_si128(x1, x2b);
  x0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(k5k0));
  x2b = _mm_srli_si128(x1, 4);
  x1 = _mm_and_si128(x1, mask);
  x1 = _mm_clmulepi64_si128(x1, x0, 0x00);
  x1 = _mm_xor_si128(x1, x2b);
  // Barrett reduction to 32 bits.
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(poly));
  x2b = _mm_and_si128(x1, mask);
  x2b = _mm_clmulepi64_si128(x2b, x0, 0x10);
  x2b = _mm_and_si128(x2b, mask);
  x2b = _mm_clmulepi64_si128(x2b, x0, 0x00);
  x1 = _mm_xor_si128(x1, x2b);
  return static_cast<std::uint32_t>(_mm_extract_epi32(x1, 1));
}

bool has_clmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}

} // namespace

std::uint32_t crc32(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  if (n < 64 || !has_clmul()) {
    return crc32_zlib(bytes);
  }
  const std::size_t folded = n & ~std::size_t{15};
  const std::uint32_t state = crc32_fold(p, folded, ~std::uint32_t{0});
  // zlib continues from the finished (post-inverted) CRC of the prefix.
  return static_cast<std::uint32_t>(
      crc32_z(~state, p + folded, n - folded));
}
#else
std::uint32_t crc32(std::string_view bytes) { return crc32_zlib(bytes); }
#endif

} // namespace edgent::net
