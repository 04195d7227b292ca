#pragma once

#include "core/progress.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace edgent::cli {

/// Options every tool has: -v/--verbose, --quiet (and --help, --version from make_app).
struct CommonOptions {
  bool verbose = false;
  bool quiet = false;

  /// Progress mode these options ask for (bar on a terminal, lines otherwise, or quiet).
  Progress::Mode progress_mode() const { return Progress::detect_mode(quiet); }
};

/// A CLI11 app for `edgent-<tool>` with --help, --version (version and git hash),
/// -v/--verbose and --quiet bound to @p common.
void setup_app(CLI::App& app, const std::string& tool, CommonOptions& common);

/// Adds `-o/--output FILE` ("-" = standard output), defaulting to @p path's current value.
/// run_tool() checks the path it is given (check_output_path) before the tool's work starts.
CLI::Option* add_output(CLI::App& app, std::string& path, const std::string& what);

/// Adds an input file option that also accepts "-" for standard input. Whether the file
/// exists is checked when it is opened, not while parsing (parsing opens no files).
CLI::Option* add_input(CLI::App& app, const std::string& flags, std::string& path,
                       const std::string& what);

/// Validator for an input path: a non-empty path or "-".
const CLI::Validator& input_path();

/// Validator for a finite value > 0 ("inf" and "nan" are refused with this message, not with
/// CLI11's conversion errors).
const CLI::Validator& positive();

/// Validator for a finite value >= 0.
const CLI::Validator& non_negative();

/// Validator for a whole number >= 1 (a count of requests, images, ...).
const CLI::Validator& count();

/// Validator for a finite value in [@p lo, @p hi], named @p unit in the message.
CLI::Validator number_in(double lo, double hi, const std::string& unit = {});

/// Adds `--slowdown K`: emulate a device K times slower than this machine's core by time
/// dilation (emulate::TimeDilation), K ≥ 1. @p factor keeps its value when not given.
CLI::Option* add_slowdown(CLI::App& app, double& factor);

/// Runs a tool: @p common receives the shared options, @p define adds the tool's options to the app (no I/O), @p run does the
/// work and returns its exit code. This is the one place errors become messages
/// (`<tool>: error: <file>: <key>: <what>`) and exit codes: usage errors 2, Error
/// subclasses their own code, anything else 1. An -o/--output from add_output() that cannot
/// be written (missing directory, a directory) fails before @p run, as an IoError.
int run_tool(const std::string& tool, const std::string& description, int argc,
             const char* const* argv, CommonOptions& common,
             const std::function<void(CLI::App&)>& define, const std::function<int()>& run);

} // namespace edgent::cli
