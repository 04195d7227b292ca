#pragma once

#include "plan/problem_from_artifacts.hpp"

#include <CLI/CLI.hpp>

namespace edgent::plan {

/// Adds the options naming the artifacts a plan is built from, shared by edgent-plan and
/// edgent-mapbuild: --model (required), --accuracy, --device-fit | --device-profile,
/// --edge-fit | --edge-profile, --codecs and --orders.
void add_model_input_options(CLI::App& app, ModelInputs& inputs);

} // namespace edgent::plan
