#include "train/branchy_net.hpp"

#include "core/error.hpp"
#include "model/onnx_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>

namespace edgent::train {

BranchyNetImpl::BranchyNetImpl(BranchyArch arch, Shape input)
    : m_arch(std::move(arch)), m_input(input) {
  m_graph = place(m_arch, m_input);
  for (const PlacedLayer& l : m_graph) {
    const LayerSpec& s = *l.spec;
    if (s.type == LayerType::conv) {
      auto conv = torch::nn::Conv2d(
          torch::nn::Conv2dOptions(l.in.c, s.out, s.kernel).stride(s.stride).padding(s.pad));
      m_convs.emplace(s.name, register_module(s.name, conv));
    } else if (s.type == LayerType::fc) {
      auto fc = torch::nn::Linear(l.in.size(), l.out.c);
      m_fcs.emplace(s.name, register_module(s.name, fc));
    }
  }
}

torch::Tensor BranchyNetImpl::apply(const LayerSpec& s, torch::Tensor x) {
  switch (s.type) {
  case LayerType::conv:
    return m_convs.at(s.name)->forward(x);
  case LayerType::relu:
    return torch::relu(x);
  case LayerType::lrn:
    // torch's LocalResponseNorm = ONNX LRN with bias 1: x / (1 + alpha/size * sum x^2)^beta.
    return torch::nn::functional::local_response_norm(
        x, torch::nn::functional::LocalResponseNormFuncOptions(s.lrn_size)
               .alpha(1e-4)
               .beta(0.75)
               .k(1.0));
  case LayerType::max_pool:
    return torch::max_pool2d(x, {s.kernel, s.kernel}, {s.stride, s.stride}, {s.pad, s.pad});
  case LayerType::dropout:
    return torch::dropout(x, s.dropout, is_training());
  case LayerType::flatten:
    return x.flatten(1);
  case LayerType::fc:
    return m_fcs.at(s.name)->forward(x);
  }
  return x;
}

std::vector<torch::Tensor> BranchyNetImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> outs(static_cast<std::size_t>(m_arch.exits()));
  const int last = m_arch.exits();
  for (std::size_t i = 0; i < m_arch.trunk.size(); ++i) {
    x = apply(m_arch.trunk[i], x);
    for (int k = 1; k < last; ++k) {
      if (m_arch.branch_after[k - 1] == i + 1) {
        torch::Tensor b = x;
        for (const LayerSpec& s : m_arch.branches[k - 1]) {
          b = apply(s, b);
        }
        outs[k - 1] = b;
      }
    }
  }
  outs[last - 1] = x;
  return outs;
}

torch::Tensor BranchyNetImpl::forward_exit(torch::Tensor x, int exit) {
  const int last = m_arch.exits();
  if (exit < 1 || exit > last) {
    throw std::out_of_range(fmt::format("exit {} of {}", exit, last));
  }
  const std::size_t stop = exit == last ? m_arch.trunk.size() : m_arch.branch_after[exit - 1];
  for (std::size_t i = 0; i < stop; ++i) {
    x = apply(m_arch.trunk[i], x);
  }
  if (exit != last) {
    for (const LayerSpec& s : m_arch.branches[exit - 1]) {
      x = apply(s, x);
    }
  }
  return x;
}

namespace {

std::span<const float> values(const torch::Tensor& t) {
  // Callers keep the contiguous tensor alive while the span is used.
  return {t.data_ptr<float>(), static_cast<std::size_t>(t.numel())};
}

} // namespace

onnx::ModelProto export_onnx(BranchyNetImpl& net, int only_exit) {
  torch::NoGradGuard no_grad;
  const Shape in = net.input_shape();
  if (only_exit < 0 || only_exit > net.arch().exits()) {
    throw std::out_of_range(fmt::format("exit {} of {}", only_exit, net.arch().exits()));
  }
  model::OnnxBuilder b(net.arch().name);
  b.input("input", {1, in.c, in.h, in.w});
  for (const PlacedLayer& l : net.graph()) {
    const LayerSpec& s = *l.spec;
    if (only_exit != 0 && std::find(l.exits.begin(), l.exits.end(), only_exit) == l.exits.end()) {
      continue;
    }
    switch (s.type) {
    case LayerType::conv: {
      auto& conv = net.conv(s.name);
      const torch::Tensor w = conv->weight.detach().contiguous().to(torch::kFloat32);
      const torch::Tensor bias = conv->bias.detach().contiguous().to(torch::kFloat32);
      b.conv(l.input, l.output, values(w), values(bias), l.in.c, l.out.c, s.kernel, s.stride,
             s.pad);
      break;
    }
    case LayerType::fc: {
      auto& fc = net.fc(s.name);
      const torch::Tensor w = fc->weight.detach().contiguous().to(torch::kFloat32);
      const torch::Tensor bias = fc->bias.detach().contiguous().to(torch::kFloat32);
      b.gemm(l.input, l.output, values(w), values(bias), l.in.size(), l.out.c);
      break;
    }
    case LayerType::relu:
      b.relu(l.input, l.output);
      break;
    case LayerType::lrn:
      b.lrn(l.input, l.output, s.lrn_size, 1e-4f, 0.75f, 1.0f);
      break;
    case LayerType::max_pool:
      b.max_pool(l.input, l.output, s.kernel, s.stride, s.pad);
      break;
    case LayerType::dropout:
      b.dropout(l.input, l.output, s.dropout);
      break;
    case LayerType::flatten:
      b.flatten(l.input, l.output);
      break;
    }
  }
  for (int k = 1; k <= net.arch().exits(); ++k) {
    if (only_exit == 0 || only_exit == k) {
      b.output(fmt::format("exit{}", k), {1, net.arch().classes});
    }
  }
  b.check();
  return b.model();
}

namespace {

void copy_initializer(const onnx::ModelProto& model, const std::string& name, torch::Tensor dst,
                      const std::string& file) {
  for (const auto& init : model.graph().initializer()) {
    if (init.name() != name) {
      continue;
    }
    std::vector<std::int64_t> dims(init.dims().begin(), init.dims().end());
    if (init.data_type() != onnx::TensorProto::FLOAT || dims != dst.sizes().vec()) {
      throw ModelError(fmt::format("initializer {} is not float32 of shape {}", name,
                                   fmt::join(dst.sizes().vec(), "x")),
                       file);
    }
    const auto n = static_cast<std::size_t>(dst.numel());
    torch::Tensor src = torch::empty(dst.sizes(), torch::kFloat32);
    if (init.raw_data().size() == n * sizeof(float)) {
      std::memcpy(src.data_ptr<float>(), init.raw_data().data(), n * sizeof(float));
    } else if (static_cast<std::size_t>(init.float_data_size()) == n) {
      std::copy(init.float_data().begin(), init.float_data().end(), src.data_ptr<float>());
    } else {
      throw ModelError(fmt::format("initializer {} holds the wrong number of values", name), file);
    }
    dst.copy_(src);
    return;
  }
  throw ModelError(fmt::format("no initializer {}: not a model of this architecture", name), file);
}

} // namespace

void load_onnx_weights(BranchyNetImpl& net, const onnx::ModelProto& model,
                       const std::string& file) {
  torch::NoGradGuard no_grad;
  for (const PlacedLayer& l : net.graph()) {
    const LayerSpec& s = *l.spec;
    if (s.type == LayerType::conv) {
      copy_initializer(model, l.output + ".weight", net.conv(s.name)->weight, file);
      copy_initializer(model, l.output + ".bias", net.conv(s.name)->bias, file);
    } else if (s.type == LayerType::fc) {
      copy_initializer(model, l.output + ".weight", net.fc(s.name)->weight, file);
      copy_initializer(model, l.output + ".bias", net.fc(s.name)->bias, file);
    }
  }
}

} // namespace edgent::train
