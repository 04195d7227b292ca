#include "core/json_view.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace edgent {

JsonView::JsonView(const nlohmann::json& value, std::string file, std::string path)
    : m_value(&value), m_file(std::move(file)), m_path(std::move(path)) {}

void JsonView::fail(const std::string& what) const { throw SchemaError(what, m_file, m_path); }

std::string JsonView::child_path(std::string_view key) const {
  if (m_path.empty()) {
    return std::string(key);
  }
  return m_path + "." + std::string(key);
}

std::string JsonView::type_name() const { return m_value->type_name(); }

void JsonView::expect(bool ok, const char* wanted) const {
  if (!ok) {
    fail(fmt::format("must be {}, got {}", wanted, type_name()));
  }
}

bool JsonView::has(std::string_view key) const {
  return m_value->is_object() && m_value->contains(key);
}

JsonView JsonView::at(std::string_view key) const {
  expect(m_value->is_object(), "an object");
  const auto it = m_value->find(key);
  if (it == m_value->end()) {
    throw SchemaError("missing required key", m_file, child_path(key));
  }
  return JsonView(*it, m_file, child_path(key));
}

std::optional<JsonView> JsonView::find(std::string_view key) const {
  expect(m_value->is_object(), "an object");
  const auto it = m_value->find(key);
  if (it == m_value->end()) {
    return std::nullopt;
  }
  return JsonView(*it, m_file, child_path(key));
}

JsonView JsonView::at(std::size_t index) const {
  expect(m_value->is_array(), "an array");
  if (index >= m_value->size()) {
    fail(fmt::format("has {} elements, index {} is out of range", m_value->size(), index));
  }
  return JsonView((*m_value)[index], m_file, fmt::format("{}[{}]", m_path, index));
}

std::vector<JsonView> JsonView::elements() const {
  expect(m_value->is_array(), "an array");
  std::vector<JsonView> out;
  out.reserve(m_value->size());
  for (std::size_t i = 0; i < m_value->size(); ++i) {
    out.emplace_back((*m_value)[i], m_file, fmt::format("{}[{}]", m_path, i));
  }
  return out;
}

std::size_t JsonView::size() const {
  expect(m_value->is_array(), "an array");
  return m_value->size();
}

std::vector<std::string> JsonView::keys() const {
  expect(m_value->is_object(), "an object");
  std::vector<std::string> out;
  for (const auto& item : m_value->items()) {
    out.push_back(item.key());
  }
  return out;
}

double JsonView::number() const {
  expect(m_value->is_number(), "a number");
  const double v = m_value->get<double>();
  if (!std::isfinite(v)) {
    fail("must be a finite number");
  }
  return v;
}

double JsonView::number(double lo, double hi) const {
  const double v = number();
  if (v < lo || v > hi) {
    fail(fmt::format("must be in [{}, {}], got {}", lo, hi, v));
  }
  return v;
}

std::int64_t JsonView::integer() const {
  if (m_value->is_number_integer()) {
    if (m_value->is_number_unsigned() &&
        m_value->get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail("is too large");
    }
    return m_value->get<std::int64_t>();
  }
  if (m_value->is_number_float()) {
    const double v = m_value->get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
      return static_cast<std::int64_t>(v);
    }
    fail(fmt::format("must be a whole number, got {}", v));
  }
  expect(false, "a whole number");
  return 0;
}

std::int64_t JsonView::integer(std::int64_t lo, std::int64_t hi) const {
  const std::int64_t v = integer();
  if (v < lo || v > hi) {
    fail(fmt::format("must be in [{}, {}], got {}", lo, hi, v));
  }
  return v;
}

std::string JsonView::string() const {
  expect(m_value->is_string(), "a string");
  return m_value->get<std::string>();
}

std::string JsonView::nonempty_string() const {
  std::string s = string();
  if (s.empty()) {
    fail("must not be empty");
  }
  return s;
}

bool JsonView::boolean() const {
  expect(m_value->is_boolean(), "true or false");
  return m_value->get<bool>();
}

std::optional<double> JsonView::optional_number() const {
  if (m_value->is_null()) {
    return std::nullopt;
  }
  return number();
}

nlohmann::json parse_json(std::string_view text, const std::string& file) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 1, column 2: ".
    if (const auto pos = what.find("] "); pos != std::string::npos) {
      what = what.substr(pos + 2);
    }
    if (text.empty()) {
      what = "empty file, expected JSON";
    }
    throw SchemaError(fmt::format("invalid JSON at byte {}: {}", e.byte, what), file);
  } catch (const nlohmann::json::exception& e) {
    // E.g. out_of_range.406, a number beyond double's range ("1e400"): the parser throws it
    // as no parse_error.
    std::string what = e.what();
    if (const auto pos = what.find("] "); pos != std::string::npos) {
      what = what.substr(pos + 2);
    }
    throw SchemaError(fmt::format("invalid JSON: {}", what), file);
  }
}

} // namespace edgent
