#pragma once

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace edgent::model {

/// One node attribute (ints, int, float or string), for OnnxBuilder::node().
struct OnnxAttr {
  static OnnxAttr i(std::string name, std::int64_t value);
  static OnnxAttr ints(std::string name, std::vector<std::int64_t> values);
  static OnnxAttr f(std::string name, float value);
  static OnnxAttr s(std::string name, std::string value);

  std::string name;
  onnx::AttributeProto::AttributeType type = onnx::AttributeProto::UNDEFINED;
  std::int64_t int_value = 0;
  std::vector<std::int64_t> int_values;
  float float_value = 0;
  std::string string_value;
};

/// Seeded weights for the models the project builds itself (tests, reference models,
/// benchmarks): uniform in +-sqrt(6 / fan_in) (He), biases uniform in +-0.05.
class SeededWeights {
public:
  explicit SeededWeights(std::uint32_t seed) : m_rng(seed) {}
  std::vector<float> he(std::size_t n, std::int64_t fan_in) {
    return uniform(n, std::sqrt(6.0 / static_cast<double>(fan_in)));
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

/// Builds a float32 ONNX model node by node on libonnx's protobuf classes. The project's
/// one ONNX writer: used by the training export, the profiler's single-layer models and
/// the tests' small models. Every layer helper returns the name of its output tensor.
class OnnxBuilder {
public:
  /// @p opset is the default-domain opset the model declares (11 unless told otherwise).
  explicit OnnxBuilder(std::string graph_name, std::int64_t opset = 11);

  /// Declares a float32 graph input of fixed @p shape.
  void input(const std::string& name, const std::vector<std::int64_t>& shape);
  /// Declares a graph output; @p shape may be empty when unknown.
  void output(const std::string& name, const std::vector<std::int64_t>& shape = {});
  /// Adds a float32 initializer; @p data must hold the product of @p dims values.
  void initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                   std::span<const float> data);

  /// Adds a node; its name is `<op>_<output>` unless @p name is given.
  void node(const std::string& op_type, const std::vector<std::string>& inputs,
            const std::vector<std::string>& outputs, const std::vector<OnnxAttr>& attrs = {},
            const std::string& name = {});

  /// Conv with weights [out_ch, in_ch/group, k, k] and bias [out_ch]; pads on all sides.
  std::string conv(const std::string& in, const std::string& out, std::span<const float> weight,
                   std::span<const float> bias, std::int64_t in_ch, std::int64_t out_ch,
                   std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                   std::int64_t group = 1);
  std::string relu(const std::string& in, const std::string& out);
  std::string max_pool(const std::string& in, const std::string& out, std::int64_t kernel,
                       std::int64_t stride, std::int64_t pad = 0);
  std::string avg_pool(const std::string& in, const std::string& out, std::int64_t kernel,
                       std::int64_t stride, std::int64_t pad = 0);
  std::string lrn(const std::string& in, const std::string& out, std::int64_t size,
                  float alpha = 1e-4f, float beta = 0.75f, float bias = 1.0f);
  std::string flatten(const std::string& in, const std::string& out);
  /// Fully connected: Gemm(in, W^T) + b with W of shape [out_features, in_features].
  std::string gemm(const std::string& in, const std::string& out, std::span<const float> weight,
                   std::span<const float> bias, std::int64_t in_features,
                   std::int64_t out_features);
  std::string dropout(const std::string& in, const std::string& out, float ratio = 0.5f);
  std::string add(const std::string& a, const std::string& b, const std::string& out);
  std::string softmax(const std::string& in, const std::string& out);

  /// The model as built so far.
  const onnx::ModelProto& model() const { return m_model; }
  onnx::ModelProto& model() { return m_model; }
  /// Runs onnx::checker on the model; throws ModelError with the checker's message.
  void check() const;
  /// The model's protobuf bytes.
  std::string serialize() const;

private:
  onnx::ModelProto m_model;
};

/// Checks @p model with onnx::checker; throws ModelError naming @p file on failure.
void check_onnx(const onnx::ModelProto& model, const std::string& file = {});

} // namespace edgent::model
