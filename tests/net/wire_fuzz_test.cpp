// The fuzz property (tests/support/wire_fuzz_check.hpp) in the normal build: the seed corpus
// and a few thousand seeded random and mutated byte strings through the decoder.
#include "support/wire_fuzz_check.hpp"

#include "net/tensor_wire.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace edgent::net {
namespace {

std::vector<std::string> seed_corpus() {
  std::vector<std::string> seeds;
  const std::filesystem::path dir = std::filesystem::path(EDGENT_SOURCE_DIR) / "tests/fuzz/corpus/wire";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    seeds.push_back(s.str());
  }
  return seeds;
}

void put32(std::string& m, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    m[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

/// Makes both checksums right again, so mutations reach the checks behind them.
void reseal(std::string& m) {
  if (m.size() < kHeaderBytes) {
    return;
  }
  put32(m, 72, static_cast<std::uint32_t>(crc32_z(
                   0, reinterpret_cast<const Bytef*>(m.data() + kHeaderBytes), m.size() - kHeaderBytes)));
  put32(m, 76, static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(m.data()), 76)));
}

TEST(WireFuzz, SeedCorpusDecodes) {
  const auto seeds = seed_corpus();
  ASSERT_GE(seeds.size(), 6u);
  for (const auto& s : seeds) {
    EXPECT_TRUE(fuzz::check_wire_bytes(s));
  }
}

TEST(WireFuzz, RandomAndMutatedBytesNeverCrash) {
  const auto seeds = seed_corpus();
  std::mt19937 rng(20261122);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  int accepted = 0;
  int total = 0;
  // Purely random strings, some the size of a header.
  for (int i = 0; i < 500; ++i) {
    std::string m(i % 2 == 0 ? kHeaderBytes + pick(64) : pick(300), '\0');
    for (auto& c : m) {
      c = static_cast<char>(pick(256));
    }
    accepted += fuzz::check_wire_bytes(m) ? 1 : 0;
    ++total;
  }
  // Mutations of valid messages, half of them resealed so that checksums pass.
  for (int i = 0; i < 4000; ++i) {
    std::string m = seeds[pick(seeds.size())];
    const int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits; ++e) {
      switch (pick(5)) {
      case 0:
        m[pick(m.size())] = static_cast<char>(pick(256));
        break;
      case 1:
        m[pick(std::min<std::size_t>(m.size(), kHeaderBytes))] ^= static_cast<char>(1 << pick(8));
        break;
      case 2:
        m.resize(pick(m.size() + 1));
        break;
      case 3:
        m.insert(pick(m.size() + 1), 1 + pick(16), static_cast<char>(pick(256)));
        break;
      default:
        if (m.size() >= kHeaderBytes) {  // a dims word set to something large
          put32(m, 24 + 4 * pick(8), static_cast<std::uint32_t>(rng()));
        }
        break;
      }
      if (m.empty()) {
        m.push_back('E');
      }
    }
    if (i % 2 == 0) {
      reseal(m);
    }
    accepted += fuzz::check_wire_bytes(m) ? 1 : 0;
    ++total;
  }
  // Most mutations must be refused; a few (e.g. a changed request id, resealed) still decode.
  EXPECT_LT(accepted, total / 2);
  EXPECT_GT(accepted, 0);
}

} // namespace
} // namespace edgent::net
