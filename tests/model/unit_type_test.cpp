#include "model/unit_type.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace edgent::model {
namespace {

TEST(UnitType, TheTableHasOneEntryPerTypeInEnumOrder) {
  const auto& types = unit_types();
  ASSERT_EQ(types.size(), static_cast<std::size_t>(UnitType::other) + 1);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < types.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(types[i].type), i);
    EXPECT_TRUE(names.insert(types[i].name).second) << types[i].name;
    EXPECT_EQ(unit_type_from_name(types[i].name), types[i].type);
  }
  EXPECT_EQ(unit_type_name(UnitType::conv), "conv");
  EXPECT_EQ(unit_type_name(UnitType::softmax), "softmax");
  EXPECT_EQ(unit_type_name(UnitType::other), "other");
}

TEST(UnitType, NamesOfNoUnitTypeAreNotFound) {
  EXPECT_FALSE(unit_type_from_name("load"));
  EXPECT_FALSE(unit_type_from_name("conv@3x3/1"));
  EXPECT_FALSE(unit_type_from_name(""));
  EXPECT_FALSE(unit_type_from_name("Conv"));
}

TEST(UnitType, RegressionFeaturesAreEdgents) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(unit_type_traits(UnitType::conv).regression_features, (Names{"in_size", "filter_term"}));
  for (const UnitType t : {UnitType::relu, UnitType::lrn, UnitType::dropout, UnitType::softmax}) {
    EXPECT_EQ(unit_type_traits(t).regression_features, Names{"in_size"}) << unit_type_name(t);
  }
  for (const UnitType t : {UnitType::pool, UnitType::fc}) {
    EXPECT_EQ(unit_type_traits(t).regression_features, (Names{"in_size", "out_size"}))
        << unit_type_name(t);
  }
  EXPECT_TRUE(unit_type_traits(UnitType::other).regression_features.empty());
  EXPECT_TRUE(unit_type_traits(UnitType::conv).per_kernel_shape);
  EXPECT_FALSE(unit_type_traits(UnitType::fc).per_kernel_shape);
  EXPECT_TRUE(unit_type_traits(UnitType::fc).flat_input);
  EXPECT_TRUE(unit_type_traits(UnitType::softmax).flat_input);
  EXPECT_FALSE(unit_type_traits(UnitType::pool).flat_input);
}

TEST(UnitType, OpsMapToTheirType) {
  EXPECT_EQ(unit_type_of_op("Conv"), UnitType::conv);
  EXPECT_EQ(unit_type_of_op("ConvTranspose"), UnitType::conv);
  EXPECT_EQ(unit_type_of_op("MatMul"), UnitType::fc);
  EXPECT_EQ(unit_type_of_op("GlobalAveragePool"), UnitType::pool);
  EXPECT_EQ(unit_type_of_op("LogSoftmax"), UnitType::softmax);
  EXPECT_EQ(unit_type_of_op("Add"), UnitType::eltwise);
  EXPECT_EQ(unit_type_of_op("Mul"), UnitType::eltwise);
  EXPECT_EQ(unit_type_of_op("Concat"), UnitType::concat);
  EXPECT_EQ(unit_type_of_op("BatchNormalization"), UnitType::batchnorm);
  EXPECT_EQ(unit_type_of_op("Sigmoid"), UnitType::activation);
  EXPECT_EQ(unit_type_of_op("Gather"), UnitType::other);
  EXPECT_EQ(unit_type_of_op("relu"), UnitType::other);
}

} // namespace
} // namespace edgent::model
