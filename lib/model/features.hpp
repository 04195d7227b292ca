#pragma once

#include <map>
#include <string>

namespace edgent::model {

/// Named regression features of one layer or unit, e.g. {"in_size": 6272, "filter_term": 576}:
/// what the partitioner computes from a unit's shapes, the profiler's sweep records and the
/// latency regressions read.
using Features = std::map<std::string, double>;

} // namespace edgent::model
