#pragma once

#include "plan/problem_from_artifacts.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace edgent::plan {

/// Adds the options naming the artifacts a plan is built from, shared by edgent-plan and
/// edgent-mapbuild: --model, --accuracy, --device-fit | --device-profile,
/// --edge-fit | --edge-profile, --codecs and --orders. --model is marked required unless
/// @p model_required is false (a tool with subcommands that each need it checks it itself).
void add_model_input_options(CLI::App& app, ModelInputs& inputs, bool model_required = true);

/// Adds --cascade-latency (mean or p95, default @p latency's value), shared by edgent-plan and
/// edgent-mapbuild beside their --cascades.
void add_cascade_latency_option(CLI::App& app, std::string& latency);

} // namespace edgent::plan
