// overhead_model DIR: writes the model bench/overhead_bench.sh times the runtime's
// per-request overhead on: DIR/overhead.onnx and its model card DIR/overhead.json (what
// edgent-infer reads). One exit on a [1,1,28,28] input (Fashion-MNIST's
// shape): conv1 (1->192, 3x3, pad 1) + relu1, conv2 (192->4, 1x1) + relu2, 2x2 max pool,
// flatten, fc (784->10), softmax. Its edge-only cut sends the 28x28 input (3,136 bytes of
// float32, the default model's edge-only tensor); the cut after relu1 (cut 1: conv1 and relu1 are one unit) sends [1,192,28,28]
// (602,112 bytes): the two sizes the benchmark compares. Seeded random weights (seed 1):
// the benchmark subtracts the compute, so the weights do not matter, only the shapes.
// Prints the card and the two cuts' tensor sizes.
#include "core/file_io.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
#include "model/onnx_builder.hpp"
#include "model/onnx_graph.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: overhead_model DIR\n");
    return 2;
  }
  try {
    using edgent::model::OnnxBuilder;
    using edgent::model::SeededWeights;
    constexpr std::int64_t kWide = 192;
    OnnxBuilder b("overhead");
    SeededWeights w(1);
    b.input("input", {1, 1, 28, 28});
    std::string t = b.conv("input", "conv1", w.he(kWide * 9, 9), w.bias(kWide), 1, kWide, 3, 1, 1);
    t = b.relu(t, "relu1");
    t = b.conv(t, "conv2", w.he(4 * kWide, kWide), w.bias(4), kWide, 4, 1, 1, 0);
    t = b.relu(t, "relu2");
    t = b.max_pool(t, "pool2", 2, 2);
    t = b.flatten(t, "flat");
    t = b.gemm(t, "logits", w.he(10 * 4 * 14 * 14, 4 * 14 * 14), w.bias(10), 4 * 14 * 14, 10);
    b.softmax(t, "exit1");
    b.output("exit1", {1, 10});
    b.check();
    const std::string dir = argv[1];
    const std::string onnx = dir + "/overhead.onnx";
    const std::string card = dir + "/overhead.json";
    edgent::write_file_atomic(onnx, b.serialize());
    const auto graph = edgent::model::OnnxGraph::from_file(onnx);
    edgent::model::write_model_card(
        card,
        edgent::model::card_from_onnx(*graph, edgent::model::onnx_reference(onnx, card),
                                      "overhead", edgent::model::CardNormalization{}),
        "overhead_model");
    std::printf("%s: edge-only tensor %d bytes, after relu1 %lld bytes (float32)\n",
                card.c_str(), 28 * 28 * 4, static_cast<long long>(kWide * 28 * 28 * 4));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "overhead_model: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
