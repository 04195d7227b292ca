#include "model/reference_models.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace edgent::model {
namespace {

std::string conv(OnnxBuilder& b, SeededWeights& w, const std::string& in, const std::string& out,
                 std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t stride,
                 std::int64_t pad) {
  const auto fan_in = cin * k * k;
  return b.conv(in, out, w.he(static_cast<std::size_t>(cout * fan_in), fan_in),
                w.bias(static_cast<std::size_t>(cout)), cin, cout, k, stride, pad);
}

std::string fc(OnnxBuilder& b, SeededWeights& w, const std::string& in, const std::string& out,
               std::int64_t nin, std::int64_t nout) {
  return b.gemm(in, out, w.he(static_cast<std::size_t>(nin * nout), nin),
                w.bias(static_cast<std::size_t>(nout)), nin, nout);
}

/// BatchNormalization of @p ch channels with seeded statistics (scale near 1, small shift).
std::string batch_norm(OnnxBuilder& b, SeededWeights& w, const std::string& in, const std::string& out,
                       std::int64_t ch) {
  const auto n = static_cast<std::size_t>(ch);
  std::vector<float> scale = w.bias(n);
  std::vector<float> var = w.bias(n);
  for (std::size_t i = 0; i < n; ++i) {
    scale[i] += 1.0f;
    var[i] = 1.0f + std::abs(var[i]);
  }
  const std::vector<float> shift = w.bias(n);
  const std::vector<float> mean = w.bias(n);
  b.initializer(out + ".scale", {ch}, scale);
  b.initializer(out + ".shift", {ch}, shift);
  b.initializer(out + ".mean", {ch}, mean);
  b.initializer(out + ".var", {ch}, var);
  b.node("BatchNormalization", {in, out + ".scale", out + ".shift", out + ".mean", out + ".var"},
         {out}, {OnnxAttr::f("epsilon", 1e-5f)});
  return out;
}

/// conv (no bias) + BatchNormalization [+ relu], as trained nets export a conv layer.
std::string conv_bn(OnnxBuilder& b, SeededWeights& w, const std::string& in, const std::string& out,
                    std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t stride,
                    std::int64_t pad, bool relu, std::int64_t group = 1) {
  const auto fan_in = cin / group * k * k;
  b.conv(in, out + "_conv", w.he(static_cast<std::size_t>(cout * fan_in), fan_in), {}, cin, cout,
         k, stride, pad, group);
  const auto bn = batch_norm(b, w, out + "_conv", relu ? out + "_bn" : out, cout);
  return relu ? b.relu(bn, out) : bn;
}

/// Exit head: global average pool, flatten, fc to 10 classes.
void gap_exit(OnnxBuilder& b, SeededWeights& w, const std::string& in, const std::string& name,
              std::int64_t ch) {
  b.node("GlobalAveragePool", {in}, {name + "_gap"});
  const auto flat = b.flatten(name + "_gap", name + "_flat");
  fc(b, w, flat, name, ch, 10);
}

/// relu(main(x) + skip(x)); main is two 3x3 conv+BN (the first strided), skip the identity or a
/// 1x1 strided projection (conv+BN) when the shape changes.
std::string residual_block(OnnxBuilder& b, SeededWeights& w, const std::string& in,
                           const std::string& name, std::int64_t cin, std::int64_t cout,
                           std::int64_t stride) {
  auto m = conv_bn(b, w, in, name + "_a", cin, cout, 3, stride, 1, /*relu=*/true);
  m = conv_bn(b, w, m, name + "_b", cout, cout, 3, 1, 1, /*relu=*/false);
  std::string skip = in;
  if (stride != 1 || cin != cout) {
    skip = conv_bn(b, w, in, name + "_proj", cin, cout, 1, stride, 0, /*relu=*/false);
  }
  b.add(m, skip, name + "_add");
  return b.relu(name + "_add", name);
}

/// Inception block: 1x1; 1x1 then 3x3 (grouped when @p groups > 1); 3x3 max pool then 1x1;
/// joined by Concat on channels (c1 + c3 + cp channels).
std::string inception_block(OnnxBuilder& b, SeededWeights& w, const std::string& in,
                            const std::string& name, std::int64_t cin, std::int64_t c1,
                            std::int64_t c3, std::int64_t cp, std::int64_t groups) {
  const auto a = b.relu(conv(b, w, in, name + "_1x1", cin, c1, 1, 1, 0), name + "_1x1_relu");
  auto r = b.relu(conv(b, w, in, name + "_3x3r", cin, c3, 1, 1, 0), name + "_3x3r_relu");
  const auto fan_in = c3 / groups * 9;
  r = b.conv(r, name + "_3x3", w.he(static_cast<std::size_t>(c3 * fan_in), fan_in),
             w.bias(static_cast<std::size_t>(c3)), c3, c3, 3, 1, 1, groups);
  r = b.relu(r, name + "_3x3_relu");
  auto p = b.max_pool(in, name + "_pool", 3, 1, 1);
  p = b.relu(conv(b, w, p, name + "_poolproj", cin, cp, 1, 1, 0), name + "_poolproj_relu");
  b.node("Concat", {a, r, p}, {name}, {OnnxAttr::i("axis", 1)});
  return name;
}

} // namespace

OnnxBuilder chain_model(std::uint32_t seed) {
  OnnxBuilder b("chain");
  SeededWeights w(seed);
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
  SeededWeights w(seed);
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
  SeededWeights w(seed);
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

OnnxBuilder resnet_exits_model(std::uint32_t seed) {
  OnnxBuilder b("resnet_exits");
  SeededWeights w(seed);
  b.input("input", {1, 1, 28, 28});
  auto t = conv_bn(b, w, "input", "stem", 1, 16, 3, 1, 1, /*relu=*/true);   // [16,28,28]
  t = residual_block(b, w, t, "block1", 16, 16, 1);
  gap_exit(b, w, t, "exit1", 16);
  t = residual_block(b, w, t, "block2", 16, 32, 2);                          // [32,14,14]
  t = residual_block(b, w, t, "block3", 32, 32, 1);
  gap_exit(b, w, t, "exit2", 32);
  // Depthwise-separable main path (3x3 depthwise stride 2, 1x1 pointwise), projected skip.
  auto m = conv_bn(b, w, t, "block4_dw", 32, 32, 3, 2, 1, /*relu=*/true, /*group=*/32);
  m = conv_bn(b, w, m, "block4_pw", 32, 64, 1, 1, 0, /*relu=*/false);         // [64,7,7]
  const auto skip = conv_bn(b, w, t, "block4_proj", 32, 64, 1, 2, 0, /*relu=*/false);
  b.add(m, skip, "block4_add");
  t = b.relu("block4_add", "block4");
  gap_exit(b, w, t, "exit3", 64);
  for (int i = 1; i <= 3; ++i) {
    b.output("exit" + std::to_string(i), {1, 10});
  }
  return b;
}

OnnxBuilder inception_exits_model(std::uint32_t seed) {
  OnnxBuilder b("inception_exits");
  SeededWeights w(seed);
  b.input("input", {1, 1, 28, 28});
  auto t = b.relu(conv(b, w, "input", "stem", 1, 16, 3, 1, 1), "stem_relu");
  t = b.max_pool(t, "stem_pool", 2, 2);                                      // [16,14,14]
  t = inception_block(b, w, t, "inc1", 16, 8, 16, 8, /*groups=*/1);          // [32,14,14]
  t = batch_norm(b, w, t, "inc1_bn", 32);
  // Squeeze-and-excitation gate: x * sigmoid(conv(relu(conv(gap(x))))).
  b.node("GlobalAveragePool", {t}, {"se_gap"});
  auto g = b.relu(conv(b, w, "se_gap", "se_fc1", 32, 8, 1, 1, 0), "se_relu");
  g = conv(b, w, g, "se_fc2", 8, 32, 1, 1, 0);
  b.node("Sigmoid", {g}, {"se_gate"});
  b.node("Mul", {t, "se_gate"}, {"se_out"});
  gap_exit(b, w, "se_out", "exit1", 32);
  t = b.max_pool("se_out", "pool2", 2, 2);                                    // [32,7,7]
  t = inception_block(b, w, t, "inc2", 32, 16, 32, 16, /*groups=*/4);        // [64,7,7]
  t = batch_norm(b, w, t, "inc2_bn", 64);
  gap_exit(b, w, t, "exit2", 64);
  b.output("exit1", {1, 10});
  b.output("exit2", {1, 10});
  return b;
}

OnnxBuilder residual_block_model(std::uint32_t seed, std::int64_t cin, std::int64_t cout,
                                 std::int64_t side, std::int64_t stride) {
  OnnxBuilder b("residual_block");
  SeededWeights w(seed);
  b.input("input", {1, cin, side, side});
  residual_block(b, w, "input", "exit1", cin, cout, stride);
  b.output("exit1");
  return b;
}

OnnxBuilder inception_block_model(std::uint32_t seed, std::int64_t cin, std::int64_t side,
                                  std::int64_t c1, std::int64_t c3, std::int64_t cp,
                                  std::int64_t groups) {
  OnnxBuilder b("inception_block");
  SeededWeights w(seed);
  b.input("input", {1, cin, side, side});
  const auto t = inception_block(b, w, "input", "inc", cin, c1, c3, cp, groups);
  batch_norm(b, w, t, "exit1", c1 + c3 + cp);
  b.output("exit1");
  return b;
}

} // namespace edgent::model
