#include "support/golden.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace edgent::testing {
namespace {

void diff(const nlohmann::json& a, const nlohmann::json& e, const std::string& where,
          double rel_tol, std::vector<std::string>& out) {
  const std::string at = where.empty() ? "/" : where;
  if (a.is_number() && e.is_number()) {
    if (a.is_number_float() || e.is_number_float()) {
      const double x = a.get<double>();
      const double y = e.get<double>();
      const double gap = std::fabs(x - y);
      if (x != y && !(gap <= rel_tol * std::max(std::fabs(x), std::fabs(y))) &&
          !(gap <= kGoldenAbsTol)) {
        out.push_back(at + ": " + a.dump() + " != " + e.dump());
      }
    } else if (a != e) {
      out.push_back(at + ": " + a.dump() + " != " + e.dump());
    }
    return;
  }
  if (a.type() != e.type()) {
    out.push_back(at + ": " + a.dump() + " != " + e.dump());
    return;
  }
  if (a.is_object()) {
    for (const auto& [key, value] : e.items()) {
      if (!a.contains(key)) {
        out.push_back(where + "/" + key + ": missing");
      } else {
        diff(a.at(key), value, where + "/" + key, rel_tol, out);
      }
    }
    for (const auto& [key, value] : a.items()) {
      if (!e.contains(key)) {
        out.push_back(where + "/" + key + ": unexpected " + value.dump());
      }
    }
  } else if (a.is_array()) {
    if (a.size() != e.size()) {
      out.push_back(at + ": " + std::to_string(a.size()) + " elements != " +
                    std::to_string(e.size()));
      return;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      diff(a[i], e[i], where + "/" + std::to_string(i), rel_tol, out);
    }
  } else if (a != e) {
    out.push_back(at + ": " + a.dump() + " != " + e.dump());
  }
}

void replace_strings(nlohmann::json& j, const std::vector<std::pair<std::string, std::string>>& replace) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (const auto& [from, to] : replace) {
      for (std::size_t pos = 0; !from.empty() && (pos = s.find(from, pos)) != std::string::npos;
           pos += to.size()) {
        s.replace(pos, from.size(), to);
      }
    }
    j = s;
  } else if (j.is_structured()) {
    for (auto& child : j) {
      replace_strings(child, replace);
    }
  }
}

} // namespace

std::vector<std::string> json_differences(const nlohmann::json& actual,
                                          const nlohmann::json& expected, double rel_tol) {
  std::vector<std::string> out;
  diff(actual, expected, "", rel_tol, out);
  return out;
}

void expect_golden(const std::string& artifact, const std::string& golden,
                   const std::vector<std::pair<std::string, std::string>>& replace) {
  std::ifstream in(artifact);
  ASSERT_TRUE(in) << artifact << ": cannot read the artifact";
  nlohmann::json actual = nlohmann::json::parse(in);
  replace_strings(actual, replace);
  const char* update = std::getenv("EDGENT_UPDATE_GOLDENS");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden) << actual.dump(1) << "\n";
    return;
  }
  std::ifstream want(golden);
  ASSERT_TRUE(want) << golden << ": no golden file (run with EDGENT_UPDATE_GOLDENS=1)";
  const nlohmann::json expected = nlohmann::json::parse(want);
  const auto differences = json_differences(actual, expected);
  std::ostringstream report;
  for (const auto& d : differences) {
    report << "\n  " << d;
  }
  EXPECT_TRUE(differences.empty()) << artifact << " differs from " << golden << ":"
                                   << report.str()
                                   << "\n(rerun with EDGENT_UPDATE_GOLDENS=1 if the change is intended)";
}

} // namespace edgent::testing
