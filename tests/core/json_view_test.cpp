#include "core/json_view.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

namespace edgent {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const SchemaError& e) {
    return e.message();
  }
  return "<no error>";
}

TEST(JsonView, NumbersAreCheckedForRangeAndWholeness) {
  const nlohmann::json doc = nlohmann::json::parse(
      R"({"a": 1.5, "n": 3, "big": 18446744073709551615, "f": 2.0, "s": "x", "b": true, "z": null})");
  const JsonView v(doc, "c.json");
  EXPECT_DOUBLE_EQ(v.at("a").number(0, 2), 1.5);
  EXPECT_EQ(error_of([&] { v.at("a").number(2, 3); }), "c.json: a: must be in [2, 3], got 1.5");
  EXPECT_EQ(v.at("n").integer(0, 5), 3);
  EXPECT_EQ(v.at("f").integer(), 2);
  EXPECT_EQ(error_of([&] { v.at("a").integer(); }), "c.json: a: must be a whole number, got 1.5");
  EXPECT_EQ(error_of([&] { v.at("big").integer(); }), "c.json: big: is too large");
  EXPECT_EQ(error_of([&] { v.at("s").integer(); }), "c.json: s: must be a whole number, got string");
  EXPECT_TRUE(v.at("b").boolean());
  EXPECT_EQ(error_of([&] { v.at("n").boolean(); }), "c.json: n: must be true or false, got number");
  EXPECT_FALSE(v.at("z").optional_number().has_value());
  EXPECT_DOUBLE_EQ(*v.at("a").optional_number(), 1.5);
}

TEST(JsonView, NestedPathsAndArrays) {
  const nlohmann::json doc = nlohmann::json::parse(R"({"exits": [{"units": [{"type": ""}]}]})");
  const JsonView v(doc, "m.json");
  const JsonView unit = v.at("exits").at(0).at("units").at(0);
  EXPECT_EQ(unit.path(), "exits[0].units[0]");
  EXPECT_EQ(error_of([&] { unit.at("type").nonempty_string(); }),
            "m.json: exits[0].units[0].type: must not be empty");
  EXPECT_EQ(error_of([&] { v.at("exits").at(4); }),
            "m.json: exits: has 1 elements, index 4 is out of range");
  EXPECT_EQ(error_of([&] { v.at("exits").at("x"); }), "m.json: exits: must be an object, got array");
  EXPECT_EQ(v.at("exits").elements().size(), 1u);
  EXPECT_FALSE(v.find("nope").has_value());
  EXPECT_TRUE(v.has("exits"));
}

TEST(JsonView, NumberBeyondDoubleRangeIsASchemaErrorNotAnotherException) {
  // Found by tests/fuzz artifact_fuzz: nlohmann throws out_of_range.406, not parse_error.
  EXPECT_THROW(parse_json(R"({"a": 0.0248e3085})", "t.json"), SchemaError);
  EXPECT_EQ(error_of([] { parse_json("[1e400]", "t.json"); }).rfind("t.json: invalid JSON: number overflow", 0),
            0u);
}

TEST(JsonView, ParseErrorReportsByteOffset) {
  EXPECT_EQ(error_of([] { parse_json(R"({"a": 1,)", "t.json"); }).rfind("t.json: invalid JSON at byte 9", 0),
            0u);
}

} // namespace
} // namespace edgent
