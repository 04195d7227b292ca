// edgent-serve: the edge server running the segments devices offload.
#include "cli/common_options.hpp"
#include "runtime/serve_command.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::runtime::ServeOptions opts;
  return edgent::cli::run_tool(
      "edgent-serve",
      "Serve co-inference on the edge: run the segment each request names (HTTP/1.1, "
      "POST /v1/infer in the tensor wire format) until SIGTERM or SIGINT drains the server",
      argc, argv, common,
      [&](CLI::App& app) {
        edgent::cli::add_input(app, "-m,--model", opts.model, "ONNX model or model card (edgent.model/1)")
            ->required();
        app.add_option("--cv-threads", opts.cv_threads, "OpenCV threads (process-wide)")
            ->capture_default_str()
            ->check(CLI::Range(0, 1024));
        edgent::net::add_serve_options(app, opts.net);
      },
      [&] { return edgent::runtime::run(opts); });
}
