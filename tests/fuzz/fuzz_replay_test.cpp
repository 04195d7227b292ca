// The fuzz targets' properties in the normal build (gcc, and ASan/UBSan in `make test-asan`):
// each target's seed corpus (tests/fuzz/corpus/<target>), every input a fuzz run found to crash
// (tests/fuzz/regressions/<target>, kept after the fix) and a few hundred seeded mutations of
// the seeds go through the same check function the libFuzzer target calls.
#include "support/artifact_fuzz_check.hpp"
#include "support/dataset_fuzz_check.hpp"
#include "support/onnx_fuzz_check.hpp"
#include "support/trace_fuzz_check.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>

namespace edgent::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<std::pair<std::string, std::string>> files_in(const std::string& sub) {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path dir = fs::path(EDGENT_SOURCE_DIR) / "tests/fuzz" / sub;
  if (!fs::is_directory(dir)) {
    return out;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    out.emplace_back(entry.path().filename().string(), s.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Byte-level mutations like libFuzzer's (overwrite, flip, truncate, insert, duplicate a
/// span), keeping byte 0 (the reader selector) most of the time.
std::string mutate(std::string m, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const int edits = 1 + static_cast<int>(pick(3));
  for (int e = 0; e < edits && m.size() > 1; ++e) {
    const std::size_t at = 1 + pick(m.size() - 1);
    switch (pick(5)) {
    case 0:
      m[at] = static_cast<char>(pick(256));
      break;
    case 1:
      m[at] = static_cast<char>(m[at] ^ (1 << pick(8)));
      break;
    case 2:
      m.resize(at);
      break;
    case 3:
      m.insert(at, 1 + pick(8), "0123456789-e.,\"{}[]\n"[pick(20)]);
      break;
    default: {
      const std::size_t from = pick(m.size());
      const std::size_t len = 1 + pick(std::min<std::size_t>(64, m.size() - from));
      m.insert(at, m.substr(from, len));
      break;
    }
    }
  }
  return m;
}

/// Replays seeds, regressions and @p mutations mutants through @p check; returns the names
/// of the seeds that were refused.
std::vector<std::string> replay(const std::string& target,
                                const std::function<bool(std::string_view)>& check, int mutations) {
  const auto seeds = files_in("corpus/" + target);
  EXPECT_FALSE(seeds.empty()) << target;
  std::vector<std::string> refused;
  for (const auto& [name, bytes] : seeds) {
    if (!check(bytes)) {
      refused.push_back(name);
    }
  }
  for (const auto& [name, bytes] : files_in("regressions/" + target)) {
    SCOPED_TRACE(name);
    (void)check(bytes);
  }
  std::mt19937 rng(20261123);
  for (int i = 0; i < mutations && !seeds.empty(); ++i) {
    (void)check(mutate(seeds[rng() % seeds.size()].second, rng));
  }
  return refused;
}

using Names = std::vector<std::string>;

TEST(FuzzReplay, Artifact) {
  EXPECT_EQ(replay("artifact", check_artifact_bytes, 400), Names{});
}

TEST(FuzzReplay, Trace) {
  EXPECT_EQ(replay("trace", check_trace_text, 2000), Names{});
}

TEST(FuzzReplay, Dataset) {
  EXPECT_EQ(replay("dataset", check_dataset_bytes, 2000), Names{});
}

TEST(FuzzReplay, Onnx) {
  // The broken seeds are there to be refused; the valid ones must be analysed.
  EXPECT_EQ(replay("onnx", check_onnx_bytes, 300),
            (Names{"cycle.onnx", "dangling.onnx", "unknown_shape.onnx"}));
}

TEST(FuzzReplay, EverySeedOfAKindThatATargetReads) {
  // Every artifact kind has a seed, so the fuzzer starts from each reader.
  std::set<std::string_view> kinds;
  for (const auto& [name, bytes] : files_in("corpus/artifact")) {
    kinds.insert(fuzz_artifact_kind(bytes));
  }
  for (const ArtifactKind& k : artifact_kinds()) {
    EXPECT_TRUE(kinds.count(k.name)) << k.name;
  }
}

} // namespace
} // namespace edgent::fuzz
