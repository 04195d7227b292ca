#pragma once

#include "net/net_options.hpp"

#include <string>

namespace edgent::runtime {

/// What edgent-serve was asked to do.
struct ServeOptions {
  std::string model;          ///< ONNX file or model card (edgent.model/1)
  int cv_threads = 1;         ///< OpenCV threads (process-wide)
  net::ServeNetOptions net;
};

/// Loads the model, serves until SIGTERM/SIGINT has drained the server. Returns the exit code.
int run(const ServeOptions& options);

} // namespace edgent::runtime
