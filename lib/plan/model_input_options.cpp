#include "plan/model_input_options.hpp"

#include "cli/common_options.hpp"
#include "plan/cascade_plan.hpp"

namespace edgent::plan {

void add_model_input_options(CLI::App& app, ModelInputs& inputs, bool model_required) {
  auto* model = cli::add_input(app, "--model", inputs.model,
                               model_required
                                   ? "Model card (edgent.model/1) or bare ONNX model"
                                   : "Model card (edgent.model/1) or bare ONNX model, required");
  if (model_required) {
    model->required();
  }
  auto* accuracy = cli::add_input(app, "--accuracy", inputs.accuracy,
                                  "Accuracy table (edgent.accuracy/1), optional");
  app.add_option("--data", inputs.data,
                 "Instead of --accuracy: test set (Fashion-MNIST directory) to measure the "
                 "accuracy table on, first 1000 images")
      ->excludes(accuracy);
  auto* device_fit = cli::add_input(app, "--device-fit", inputs.device_fit,
                                    "Device latency fit (edgent.fit/1, role device)");
  auto* edge_fit = cli::add_input(app, "--edge-fit", inputs.edge_fit,
                                  "Edge latency fit (edgent.fit/1, role edge)");
  cli::add_input(app, "--device-profile", inputs.device_profile,
                 "Instead of --device-fit: measured unit medians (edgent.profile/1)")
      ->excludes(device_fit);
  cli::add_input(app, "--edge-profile", inputs.edge_profile,
                 "Instead of --edge-fit: measured unit medians (edgent.profile/1)")
      ->excludes(edge_fit);
  app.add_option("--codecs", inputs.codecs, "Codecs allowed (fp32 fp16 int8, each optionally +zstd)")
      ->capture_default_str()
      ->delimiter(',');
  app.add_option("--orders", inputs.orders, "Orders allowed (device-first edge-first)")
      ->capture_default_str()
      ->delimiter(',');
}

void add_cascade_latency_option(CLI::App& app, std::string& latency) {
  app.add_option("--cascade-latency", latency,
                 "With --cascades, what must meet the deadline: mean (expected latency "
                 "over the exits), p95, or max (the slowest exit: every input meets it)")
      ->capture_default_str()
      ->check(CLI::IsMember(cascade_statistic_names()));
}

} // namespace edgent::plan
