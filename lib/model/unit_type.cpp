#include "model/unit_type.hpp"

namespace edgent::model {

const std::vector<UnitTypeTraits>& unit_types() {
  static const std::vector<UnitTypeTraits> table{
      {.type = UnitType::conv,
       .name = "conv",
       .ops = {"Conv", "ConvTranspose"},
       .regression_features = {"in_size", "filter_term"},
       .flat_input = false,
       .per_kernel_shape = true},
      {.type = UnitType::relu,
       .name = "relu",
       .ops = {"Relu"},
       .regression_features = {"in_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::pool,
       .name = "pool",
       .ops = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"},
       .regression_features = {"in_size", "out_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::lrn,
       .name = "lrn",
       .ops = {"LRN"},
       .regression_features = {"in_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::dropout,
       .name = "dropout",
       .ops = {"Dropout"},
       .regression_features = {"in_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::fc,
       .name = "fc",
       .ops = {"Gemm", "MatMul"},
       .regression_features = {"in_size", "out_size"},
       .flat_input = true,
       .per_kernel_shape = false},
      {.type = UnitType::softmax,
       .name = "softmax",
       .ops = {"Softmax", "LogSoftmax"},
       .regression_features = {"in_size"},
       .flat_input = true,
       .per_kernel_shape = false},
      {.type = UnitType::eltwise,
       .name = "eltwise",
       .ops = {"Add", "Sub", "Mul", "Div", "Sum", "Max", "Min"},
       .regression_features = {"out_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::concat,
       .name = "concat",
       .ops = {"Concat"},
       .regression_features = {"out_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::batchnorm,
       .name = "batchnorm",
       .ops = {"BatchNormalization"},
       .regression_features = {"in_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::activation,
       .name = "activation",
       .ops = {"Sigmoid", "Tanh", "LeakyRelu", "Clip", "Elu", "HardSigmoid", "HardSwish", "PRelu"},
       .regression_features = {"in_size"},
       .flat_input = false,
       .per_kernel_shape = false},
      {.type = UnitType::other,
       .name = "other",
       .ops = {},
       .regression_features = {},
       .flat_input = false,
       .per_kernel_shape = false},
  };
  return table;
}

const UnitTypeTraits& unit_type_traits(UnitType type) {
  return unit_types()[static_cast<std::size_t>(type)];
}

std::string_view unit_type_name(UnitType type) {
  return unit_type_traits(type).name;
}

std::optional<UnitType> unit_type_from_name(std::string_view name) {
  for (const UnitTypeTraits& t : unit_types()) {
    if (t.name == name) {
      return t.type;
    }
  }
  return std::nullopt;
}

UnitType unit_type_of_op(std::string_view op) {
  for (const UnitTypeTraits& t : unit_types()) {
    for (const std::string_view o : t.ops) {
      if (o == op) {
        return t.type;
      }
    }
  }
  return UnitType::other;
}

} // namespace edgent::model
