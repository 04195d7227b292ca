#include "runtime/serve_command.hpp"

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "model/model_card.hpp"
#include "runtime/edge_handler.hpp"

namespace edgent::runtime {

int run(const ServeOptions& options) {
  const auto graph = model::OnnxGraph::from_file(model::resolve_model_onnx(options.model));
  net::ServerOptions server_options = net::to_server_options(options.net);
  server_options.handle_signals = true;
  EdgeHandler handler(graph, server_options.threads, options.cv_threads);
  net::HttpServer server(handler, server_options);
  server.start();
  log::verbose("serving {} (sha256 {}) with {} workers{}", graph->file(), graph->sha256(),
               server_options.threads,
               server_options.tls_cert_file.empty() ? "" : ", HTTPS only (TLS 1.2 or later)");
  server.run();
  log::info("drained, exiting");
  return 0;
}

} // namespace edgent::runtime
