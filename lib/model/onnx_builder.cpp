#include "model/onnx_builder.hpp"

#include "core/error.hpp"
#include "core/version.hpp"

#include <onnx/checker.h>

#include <fmt/format.h>

#include <stdexcept>

namespace edgent::model {

OnnxAttr OnnxAttr::i(std::string name, std::int64_t value) {
  OnnxAttr a;
  a.name = std::move(name);
  a.type = onnx::AttributeProto::INT;
  a.int_value = value;
  return a;
}

OnnxAttr OnnxAttr::ints(std::string name, std::vector<std::int64_t> values) {
  OnnxAttr a;
  a.name = std::move(name);
  a.type = onnx::AttributeProto::INTS;
  a.int_values = std::move(values);
  return a;
}

OnnxAttr OnnxAttr::f(std::string name, float value) {
  OnnxAttr a;
  a.name = std::move(name);
  a.type = onnx::AttributeProto::FLOAT;
  a.float_value = value;
  return a;
}

OnnxAttr OnnxAttr::s(std::string name, std::string value) {
  OnnxAttr a;
  a.name = std::move(name);
  a.type = onnx::AttributeProto::STRING;
  a.string_value = std::move(value);
  return a;
}

namespace {

void set_float_type(onnx::ValueInfoProto* info, const std::string& name,
                    const std::vector<std::int64_t>& shape) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  if (!shape.empty()) {
    auto* dims = tensor->mutable_shape();
    for (const std::int64_t d : shape) {
      dims->add_dim()->set_dim_value(d);
    }
  }
}

std::int64_t product(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (const std::int64_t d : dims) {
    n *= d;
  }
  return n;
}

} // namespace

OnnxBuilder::OnnxBuilder(std::string graph_name, std::int64_t opset) {
  m_model.set_ir_version(onnx::IR_VERSION < 7 ? onnx::IR_VERSION : 7);  // 7 pairs with opset 11+
  m_model.set_producer_name("edgent");
  m_model.set_producer_version(version());
  auto* op = m_model.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  m_model.mutable_graph()->set_name(std::move(graph_name));
}

void OnnxBuilder::input(const std::string& name, const std::vector<std::int64_t>& shape) {
  set_float_type(m_model.mutable_graph()->add_input(), name, shape);
}

void OnnxBuilder::output(const std::string& name, const std::vector<std::int64_t>& shape) {
  set_float_type(m_model.mutable_graph()->add_output(), name, shape);
}

void OnnxBuilder::initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                              std::span<const float> data) {
  if (product(dims) != static_cast<std::int64_t>(data.size())) {
    throw std::logic_error(fmt::format("initializer {}: {} values for shape of {}", name,
                                       data.size(), product(dims)));
  }
  auto* t = m_model.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (const std::int64_t d : dims) {
    t->add_dims(d);
  }
  // raw_data is little-endian float32, as the ONNX spec requires.
  t->set_raw_data(std::string(reinterpret_cast<const char*>(data.data()), data.size_bytes()));
}

void OnnxBuilder::node(const std::string& op_type, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs, const std::vector<OnnxAttr>& attrs,
                       const std::string& name) {
  auto* n = m_model.mutable_graph()->add_node();
  n->set_op_type(op_type);
  n->set_name(name.empty() ? op_type + "_" + (outputs.empty() ? "" : outputs.front()) : name);
  for (const auto& in : inputs) {
    n->add_input(in);
  }
  for (const auto& out : outputs) {
    n->add_output(out);
  }
  for (const auto& a : attrs) {
    auto* p = n->add_attribute();
    p->set_name(a.name);
    p->set_type(a.type);
    switch (a.type) {
    case onnx::AttributeProto::INT:
      p->set_i(a.int_value);
      break;
    case onnx::AttributeProto::INTS:
      for (const std::int64_t v : a.int_values) {
        p->add_ints(v);
      }
      break;
    case onnx::AttributeProto::FLOAT:
      p->set_f(a.float_value);
      break;
    case onnx::AttributeProto::STRING:
      p->set_s(a.string_value);
      break;
    default:
      throw std::logic_error("unsupported attribute type for " + a.name);
    }
  }
}

std::string OnnxBuilder::conv(const std::string& in, const std::string& out,
                              std::span<const float> weight, std::span<const float> bias,
                              std::int64_t in_ch, std::int64_t out_ch, std::int64_t kernel,
                              std::int64_t stride, std::int64_t pad, std::int64_t group) {
  initializer(out + ".weight", {out_ch, in_ch / group, kernel, kernel}, weight);
  std::vector<std::string> inputs{in, out + ".weight"};
  if (!bias.empty()) {
    initializer(out + ".bias", {out_ch}, bias);
    inputs.push_back(out + ".bias");
  }
  node("Conv", inputs, {out},
       {OnnxAttr::ints("kernel_shape", {kernel, kernel}), OnnxAttr::ints("strides", {stride, stride}),
        OnnxAttr::ints("pads", {pad, pad, pad, pad}), OnnxAttr::i("group", group)});
  return out;
}

std::string OnnxBuilder::relu(const std::string& in, const std::string& out) {
  node("Relu", {in}, {out});
  return out;
}

std::string OnnxBuilder::max_pool(const std::string& in, const std::string& out,
                                  std::int64_t kernel, std::int64_t stride, std::int64_t pad) {
  node("MaxPool", {in}, {out},
       {OnnxAttr::ints("kernel_shape", {kernel, kernel}), OnnxAttr::ints("strides", {stride, stride}),
        OnnxAttr::ints("pads", {pad, pad, pad, pad})});
  return out;
}

std::string OnnxBuilder::avg_pool(const std::string& in, const std::string& out,
                                  std::int64_t kernel, std::int64_t stride, std::int64_t pad) {
  node("AveragePool", {in}, {out},
       {OnnxAttr::ints("kernel_shape", {kernel, kernel}), OnnxAttr::ints("strides", {stride, stride}),
        OnnxAttr::ints("pads", {pad, pad, pad, pad})});
  return out;
}

std::string OnnxBuilder::lrn(const std::string& in, const std::string& out, std::int64_t size,
                             float alpha, float beta, float bias) {
  node("LRN", {in}, {out},
       {OnnxAttr::i("size", size), OnnxAttr::f("alpha", alpha), OnnxAttr::f("beta", beta),
        OnnxAttr::f("bias", bias)});
  return out;
}

std::string OnnxBuilder::flatten(const std::string& in, const std::string& out) {
  node("Flatten", {in}, {out}, {OnnxAttr::i("axis", 1)});
  return out;
}

std::string OnnxBuilder::gemm(const std::string& in, const std::string& out,
                              std::span<const float> weight, std::span<const float> bias,
                              std::int64_t in_features, std::int64_t out_features) {
  initializer(out + ".weight", {out_features, in_features}, weight);
  initializer(out + ".bias", {out_features}, bias);
  node("Gemm", {in, out + ".weight", out + ".bias"}, {out},
       {OnnxAttr::f("alpha", 1.0f), OnnxAttr::f("beta", 1.0f), OnnxAttr::i("transB", 1)});
  return out;
}

std::string OnnxBuilder::dropout(const std::string& in, const std::string& out, float ratio) {
  // Opset 11 Dropout takes the ratio as an attribute; it is the identity at inference.
  node("Dropout", {in}, {out}, {OnnxAttr::f("ratio", ratio)});
  return out;
}

std::string OnnxBuilder::add(const std::string& a, const std::string& b, const std::string& out) {
  node("Add", {a, b}, {out});
  return out;
}

std::string OnnxBuilder::softmax(const std::string& in, const std::string& out) {
  node("Softmax", {in}, {out}, {OnnxAttr::i("axis", 1)});
  return out;
}

void check_onnx(const onnx::ModelProto& model, const std::string& file) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw ModelError(std::string("onnx checker: ") + e.what(), file);
  }
}

void OnnxBuilder::check() const { check_onnx(m_model); }

std::string OnnxBuilder::serialize() const {
  std::string bytes;
  if (!m_model.SerializeToString(&bytes)) {
    throw ModelError("cannot serialise the ONNX model");
  }
  return bytes;
}

} // namespace edgent::model
