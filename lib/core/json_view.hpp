#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgent {

/// A read-only view of a JSON value that knows its file and key path (e.g.
/// `layers[3].latency_ms`), so that every validation failure throws a SchemaError
/// naming both. Views are cheap to copy; the viewed document must outlive them.
class JsonView {
public:
  JsonView(const nlohmann::json& value, std::string file, std::string path = {});

  const nlohmann::json& raw() const { return *m_value; }
  const std::string& file() const { return m_file; }
  /// Key path from the document root; empty for the root itself.
  const std::string& path() const { return m_path; }

  bool is_null() const { return m_value->is_null(); }
  /// True when this is an object holding @p key.
  bool has(std::string_view key) const;
  /// Member @p key; throws when this is not an object or the key is missing.
  JsonView at(std::string_view key) const;
  /// Member @p key, or nothing when absent (throws when this is not an object).
  std::optional<JsonView> find(std::string_view key) const;
  /// Element @p index; throws when this is not an array or the index is out of range.
  JsonView at(std::size_t index) const;
  /// Elements of an array (throws when this is not an array).
  std::vector<JsonView> elements() const;
  /// Number of elements of an array (throws when this is not an array).
  std::size_t size() const;
  /// Member names of an object, in document order (throws when not an object).
  std::vector<std::string> keys() const;

  /// A finite number (throws otherwise).
  double number() const;
  /// A finite number in [lo, hi].
  double number(double lo, double hi) const;
  /// A whole number (throws for 1.5, "1", true).
  std::int64_t integer() const;
  /// A whole number in [lo, hi].
  std::int64_t integer(std::int64_t lo, std::int64_t hi) const;
  std::string string() const;
  /// A non-empty string.
  std::string nonempty_string() const;
  bool boolean() const;
  /// A number, or nothing for JSON null.
  std::optional<double> optional_number() const;

  /// Throws a SchemaError about this value.
  [[noreturn]] void fail(const std::string& what) const;

private:
  std::string child_path(std::string_view key) const;
  std::string type_name() const;
  void expect(bool ok, const char* wanted) const;

  const nlohmann::json* m_value;
  std::string m_file;
  std::string m_path;
};

/// Parses JSON text; a syntax error becomes a SchemaError with the byte offset.
nlohmann::json parse_json(std::string_view text, const std::string& file);

/// The value of @p v, or JSON null when it is empty: how every artifact writes an optional key.
template <class T>
nlohmann::json json_or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

} // namespace edgent
