// The HTTP fuzz property (tests/support/http_fuzz_check.hpp) in the normal build: the seed
// corpus, then seeded mutations of it (bytes flipped, cut, spliced, repeated) through the real
// server and edge handler over loopback.
#include "support/http_fuzz_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace edgent::net {
namespace {

std::map<std::string, std::string> seed_corpus() {
  std::map<std::string, std::string> seeds;
  const std::filesystem::path dir = std::filesystem::path(EDGENT_SOURCE_DIR) / "tests/fuzz/corpus/http";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    seeds[entry.path().filename().string()] = s.str();
  }
  return seeds;
}

TEST(HttpFuzz, SeedCorpusGetsTheDocumentedAnswers) {
  const auto seeds = seed_corpus();
  ASSERT_GE(seeds.size(), 10u);
  const std::map<std::string, std::vector<unsigned>> want = {
      {"health", {200}},
      {"http10-close", {200}},
      {"model-pipelined", {200, 200}},
      {"infer-fp32", {200}},
      {"infer-int8-reply-fp16", {200}},
      {"infer-chunked", {200}},
      {"infer-expect-continue", {100, 200}},
      {"infer-wrong-sha", {409}},
      {"infer-no-token", {401}},
      {"probe", {200}},
      {"te-gzip-smuggle", {501}},
      {"wrong-method-and-path", {405, 404}},
  };
  for (const auto& [name, bytes] : seeds) {
    const std::vector<unsigned> got = fuzz::check_http_bytes(bytes);
    if (const auto it = want.find(name); it != want.end()) {
      EXPECT_EQ(got, it->second) << name;
    }
  }
}

TEST(HttpFuzz, MutatedRequestsKeepTheProperty) {
  const auto seeds = seed_corpus();
  std::vector<std::string> pool;
  for (const auto& [name, bytes] : seeds) {
    pool.push_back(bytes);
  }
  std::mt19937 rng(20261201);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  static const std::vector<std::string> tokens = {
      "\r\n", "Content-Length: 99999999\r\n", "Transfer-Encoding: chunked\r\n", "Expect: 100-continue\r\n",
      "0\r\n\r\n", "X-Edgent-Run-To: 1\r\n", "Authorization: bearer fuzz-token\r\n", " ", ":", "\0"};
  std::size_t answers = 0;
  for (int i = 0; i < 400; ++i) {
    std::string m = pool[pick(pool.size())];
    switch (i % 5) {
    case 0:  // flip a few bytes
      for (int k = 0; k < 3; ++k) {
        m[pick(m.size())] = static_cast<char>(pick(256));
      }
      break;
    case 1:  // cut
      m.resize(pick(m.size()));
      break;
    case 2:  // insert a token
      m.insert(pick(m.size() + 1), tokens[pick(tokens.size())]);
      break;
    case 3:  // splice two seeds
      m = m.substr(0, pick(m.size() + 1)) + pool[pick(pool.size())];
      break;
    case 4:  // repeat (pipelined)
      m = m + m;
      break;
    }
    answers += fuzz::check_http_bytes(m).size();
  }
  EXPECT_GT(answers, 200u) << "most mutations are still answered";
}

} // namespace
} // namespace edgent::net
