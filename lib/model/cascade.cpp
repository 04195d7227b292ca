#include "model/cascade.hpp"

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "model/segment_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace edgent::model {

double top_probability(const cv::Mat& logits) {
  const cv::Mat flat = logits.isContinuous() ? logits : logits.clone();
  const float* v = flat.ptr<float>();
  const std::size_t n = flat.total();
  if (n == 0) {
    return 0;
  }
  const double top = *std::max_element(v, v + n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += std::exp(static_cast<double>(v[i]) - top);
  }
  return 1.0 / sum;
}

void check_cascade(const Cascade& cascade, const std::string& where) {
  if (cascade.exits.empty()) {
    throw ConfigError("a cascade needs at least one exit", where, "exits");
  }
  for (std::size_t i = 0; i < cascade.exits.size(); ++i) {
    if (cascade.exits[i] < 1 || (i > 0 && cascade.exits[i] <= cascade.exits[i - 1])) {
      throw ConfigError("exits must be >= 1 and strictly ascending", where,
                        fmt::format("exits[{}]", i));
    }
  }
  if (cascade.thresholds.size() + 1 != cascade.exits.size()) {
    throw ConfigError(fmt::format("{} exits need {} thresholds (none for the last), got {}",
                                  cascade.exits.size(), cascade.exits.size() - 1,
                                  cascade.thresholds.size()),
                      where, "thresholds");
  }
  for (std::size_t i = 0; i < cascade.thresholds.size(); ++i) {
    const double t = cascade.thresholds[i];
    if (!(t >= 0 && t <= 1)) {
      throw ConfigError(fmt::format("must be in [0, 1], got {}", t), where,
                        fmt::format("thresholds[{}]", i));
    }
  }
}

Cascade parse_cascade(const std::string& text, const std::string& option) {
  Cascade c;
  std::stringstream in(text);
  std::string item;
  std::vector<std::string> items;
  while (std::getline(in, item, ',')) {
    items.push_back(item);
  }
  if (items.empty() || text.empty() || text.back() == ',') {
    throw UsageError(fmt::format("{}: expected E:TAU,...,E (e.g. 1:0.9,5), got '{}'", option, text));
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& s = items[i];
    const std::size_t colon = s.find(':');
    const bool last = i + 1 == items.size();
    if (last != (colon == std::string::npos)) {
      throw UsageError(fmt::format("{}: '{}': every exit but the last takes a threshold (E:TAU), "
                                   "the last none",
                                   option, s));
    }
    const auto exit = parse_integer(s.substr(0, colon), 1, std::numeric_limits<int>::max());
    if (!exit) {
      throw UsageError(fmt::format("{}: '{}' is not an exit number", option, s.substr(0, colon)));
    }
    c.exits.push_back(static_cast<int>(*exit));
    if (!last) {
      const auto tau = parse_double(s.substr(colon + 1));
      if (!tau || !(*tau >= 0 && *tau <= 1)) {
        throw UsageError(fmt::format("{}: threshold '{}' must be a number in [0, 1]", option,
                                     s.substr(colon + 1)));
      }
      c.thresholds.push_back(*tau);
    }
  }
  try {
    check_cascade(c, option);
  } catch (const ConfigError& e) {
    throw UsageError(fmt::format("{}: {}: {}", option, e.key(), e.detail()));
  }
  return c;
}

std::string cascade_to_string(const Cascade& cascade) {
  std::string out;
  for (std::size_t i = 0; i < cascade.exits.size(); ++i) {
    out += i ? "," : "";
    out += std::to_string(cascade.exits[i]);
    if (i < cascade.thresholds.size()) {
      out += fmt::format(":{}", cascade.thresholds[i]);  // shortest exact form: both ends agree
    }
  }
  return out;
}

int shared_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t k = 0;
  while (k < n && a[k] == b[k]) {
    ++k;
  }
  return static_cast<int>(k);
}

namespace {

std::vector<std::string> unit_names(const ExitChain& chain) {
  std::vector<std::string> names;
  for (const Unit& u : chain.units) {
    names.push_back(u.name);
  }
  return names;
}

} // namespace

CascadeLayout cascade_layout(const Partition& partition, const Cascade& cascade,
                             const std::string& where) {
  check_cascade(cascade, where);
  const auto chain_of = [&](int exit) -> const ExitChain& {
    if (exit < 1 || exit > static_cast<int>(partition.exits.size())) {
      throw ConfigError(fmt::format("exit {} is not an exit of the model (1..{})", exit,
                                    partition.exits.size()),
                        where, "exits");
    }
    return partition.exits[static_cast<std::size_t>(exit - 1)];
  };
  const ExitChain& last = chain_of(cascade.final_exit());
  const std::vector<std::string> last_names = unit_names(last);
  CascadeLayout layout;
  layout.final_size = last.size();
  for (std::size_t i = 0; i + 1 < cascade.exits.size(); ++i) {
    const ExitChain& own = chain_of(cascade.exits[i]);
    const int b = shared_prefix(unit_names(own), last_names);
    if (b < 1 || b >= own.size() || !own.is_cut_point(b) || !last.is_cut_point(b)) {
      throw ConfigError(fmt::format("exit {} does not branch off exit {}'s chain at a cut point",
                                    own.exit, last.exit),
                        where, fmt::format("exits[{}]", i));
    }
    if (!layout.branch.empty() && b < layout.branch.back()) {
      throw ConfigError(fmt::format("exit {} branches off before exit {}: list exits in the order "
                                    "their branches leave the chain",
                                    own.exit, cascade.exits[i - 1]),
                        where, fmt::format("exits[{}]", i));
    }
    layout.branch.push_back(b);
  }
  layout.branch.push_back(last.size());
  return layout;
}

CascadeStep run_cascade_part(SegmentRunner& runner, const Cascade& cascade,
                             const CascadeLayout& layout, const cv::Mat& input, int from, int to) {
  const int last = cascade.final_exit();
  if (from != to) {
    check_segment(runner.chain(last), from, to);
  }
  CascadeStep step;
  cv::Mat x = input;
  int pos = from;
  for (std::size_t i = 0; i + 1 < cascade.exits.size(); ++i) {
    const int b = layout.branch[i];
    if (!(from < b && b <= to)) {
      continue;
    }
    if (b > pos) {
      x = runner.run(last, pos, b, x);
      pos = b;
    }
    const int exit = cascade.exits[i];
    const cv::Mat logits = runner.run(exit, b, runner.chain(exit).size(), x);
    const double conf = top_probability(logits);
    if (confident(conf, cascade.thresholds[i])) {
      step.exit = exit;
      step.confidence = conf;
      step.output = logits;
      return step;
    }
  }
  if (to > pos) {
    x = runner.run(last, pos, to, x);
  }
  step.output = x;
  if (to == layout.final_size) {
    step.exit = last;
    step.confidence = top_probability(x);
  }
  return step;
}

CascadeResult run_cascade(SegmentRunner& runner, const Cascade& cascade, int cut,
                          const cv::Mat& input) {
  const CascadeLayout layout = cascade_layout(runner.partition(), cascade);
  CascadeResult r;
  CascadeStep step = run_cascade_part(runner, cascade, layout, input, 0, cut);
  r.before_cut = step.exit != 0;
  if (step.exit == 0) {
    step = run_cascade_part(runner, cascade, layout, step.output, cut, layout.final_size);
  }
  r.exit = step.exit;
  r.confidence = step.confidence;
  r.logits = step.output;
  return r;
}

} // namespace edgent::model
