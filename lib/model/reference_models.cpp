#include "model/reference_models.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace edgent::model {
namespace {

/// Seeded weights: uniform in +-sqrt(6 / fan_in) (He), biases uniform in +-0.05.
class Weights {
public:
  explicit Weights(std::uint32_t seed) : m_rng(seed) {}
  std::vector<float> he(std::size_t n, std::int64_t fan_in) {
    const double a = std::sqrt(6.0 / static_cast<double>(fan_in));
    return uniform(n, a);
  }
  std::vector<float> bias(std::size_t n) { return uniform(n, 0.05); }

private:
  std::vector<float> uniform(std::size_t n, double a) {
    std::uniform_real_distribution<double> dist(-a, a);
    std::vector<float> v(n);
    for (auto& x : v) {
      x = static_cast<float>(dist(m_rng));
    }
    return v;
  }
  std::mt19937 m_rng;
};

std::string conv(OnnxBuilder& b, Weights& w, const std::string& in, const std::string& out,
                 std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t stride,
                 std::int64_t pad) {
  const auto fan_in = cin * k * k;
  return b.conv(in, out, w.he(static_cast<std::size_t>(cout * fan_in), fan_in),
                w.bias(static_cast<std::size_t>(cout)), cin, cout, k, stride, pad);
}

std::string fc(OnnxBuilder& b, Weights& w, const std::string& in, const std::string& out,
               std::int64_t nin, std::int64_t nout) {
  return b.gemm(in, out, w.he(static_cast<std::size_t>(nin * nout), nin),
                w.bias(static_cast<std::size_t>(nout)), nin, nout);
}

} // namespace

OnnxBuilder chain_model(std::uint32_t seed) {
  OnnxBuilder b("chain");
  Weights w(seed);
  b.input("input", {1, 1, 28, 28});
  auto t = b.relu(conv(b, w, "input", "conv1", 1, 8, 5, 1, 2), "relu1");
  t = b.max_pool(t, "pool1", 2, 2);
  t = b.lrn(t, "lrn1", 5);
  t = b.relu(conv(b, w, t, "conv2", 8, 16, 3, 1, 1), "relu2");
  t = b.max_pool(t, "pool2", 2, 2);
  t = b.flatten(t, "flat");
  t = b.relu(fc(b, w, t, "fc1", 16 * 7 * 7, 64), "fc1_relu");
  t = b.dropout(t, "drop1");
  t = fc(b, w, t, "logits", 64, 10);
  b.softmax(t, "exit1");
  b.output("exit1", {1, 10});
  return b;
}

OnnxBuilder branchy_alexnet(std::uint32_t seed) {
  OnnxBuilder b("branchy_alexnet");
  Weights w(seed);
  b.input("input", {1, 1, 28, 28});
  // Trunk stage 1: [64,28,28] -> pool [64,14,14] -> lrn.
  auto t = b.relu(conv(b, w, "input", "conv1", 1, 64, 5, 1, 2), "relu1");
  t = b.max_pool(t, "pool1", 2, 2);
  const auto s1 = b.lrn(t, "lrn1", 5);
  // Exit 1: conv 64->32 stride 2 [32,7,7], pool [32,3,3], fc.
  auto e = b.relu(conv(b, w, s1, "b1_conv", 64, 32, 3, 2, 1), "b1_relu");
  e = b.max_pool(e, "b1_pool", 2, 2);
  e = b.flatten(e, "b1_flat");
  fc(b, w, e, "exit1", 32 * 3 * 3, 10);
  // Trunk stage 2: conv 64->128 [128,14,14], pool [128,7,7], lrn.
  t = b.relu(conv(b, w, s1, "conv2", 64, 128, 3, 1, 1), "relu2");
  t = b.max_pool(t, "pool2", 2, 2);
  const auto s2 = b.lrn(t, "lrn2", 5);
  // Exit 2: pool [128,3,3], fc.
  e = b.max_pool(s2, "b2_pool", 2, 2);
  e = b.flatten(e, "b2_flat");
  fc(b, w, e, "exit2", 128 * 3 * 3, 10);
  // Trunk stage 3: conv 128->192 [192,7,7].
  const auto s3 = b.relu(conv(b, w, s2, "conv3", 128, 192, 3, 1, 1), "relu3");
  e = b.max_pool(s3, "b3_pool", 2, 2);
  e = b.flatten(e, "b3_flat");
  fc(b, w, e, "exit3", 192 * 3 * 3, 10);
  // Trunk stage 4: conv 192->192.
  const auto s4 = b.relu(conv(b, w, s3, "conv4", 192, 192, 3, 1, 1), "relu4");
  e = b.max_pool(s4, "b4_pool", 2, 2);
  e = b.flatten(e, "b4_flat");
  fc(b, w, e, "exit4", 192 * 3 * 3, 10);
  // Trunk stage 5: conv 192->128, pool [128,3,3], classifier fc-relu-dropout x2, fc.
  t = b.relu(conv(b, w, s4, "conv5", 192, 128, 3, 1, 1), "relu5");
  t = b.max_pool(t, "pool5", 2, 2);
  t = b.flatten(t, "flat5");
  t = b.relu(fc(b, w, t, "fc6", 128 * 3 * 3, 512), "relu6");
  t = b.dropout(t, "drop6");
  t = b.relu(fc(b, w, t, "fc7", 512, 512), "relu7");
  t = b.dropout(t, "drop7");
  fc(b, w, t, "exit5", 512, 10);
  for (int i = 1; i <= 5; ++i) {
    b.output("exit" + std::to_string(i), {1, 10});
  }
  return b;
}

OnnxBuilder residual_model(std::uint32_t seed) {
  OnnxBuilder b("residual");
  Weights w(seed);
  b.input("input", {1, 3, 16, 16});
  const auto stem = b.relu(conv(b, w, "input", "stem", 3, 8, 3, 1, 1), "stem_relu");
  // Residual block: relu(conv(relu(conv(x))) + x).
  auto r = b.relu(conv(b, w, stem, "res_conv1", 8, 8, 3, 1, 1), "res_relu1");
  r = conv(b, w, r, "res_conv2", 8, 8, 3, 1, 1);
  r = b.add(r, stem, "res_add");
  const auto block = b.relu(r, "res_out");
  const auto pooled = b.max_pool(block, "pool1", 2, 2);  // [8,8,8]
  auto e = b.flatten(pooled, "e1_flat");
  fc(b, w, e, "exit1", 8 * 8 * 8, 10);
  // Inception-like block: 1x1 and 3x3 branches, concatenated on channels.
  const auto a = b.relu(conv(b, w, pooled, "inc_a", 8, 8, 1, 1, 0), "inc_a_relu");
  const auto c = b.relu(conv(b, w, pooled, "inc_b", 8, 8, 3, 1, 1), "inc_b_relu");
  b.node("Concat", {a, c}, {"inc_out"}, {OnnxAttr::i("axis", 1)});
  const auto p2 = b.avg_pool("inc_out", "pool2", 2, 2);  // [16,4,4]
  e = b.flatten(p2, "e2_flat");
  fc(b, w, e, "exit2", 16 * 4 * 4, 10);
  b.output("exit1", {1, 10});
  b.output("exit2", {1, 10});
  return b;
}

} // namespace edgent::model
