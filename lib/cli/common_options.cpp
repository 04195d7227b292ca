#include "cli/common_options.hpp"

#include "core/error.hpp"
#include "core/exit_code.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"
#include "core/version.hpp"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <iostream>
#include <new>
#include <optional>

namespace edgent::cli {

namespace {
/// The type name of the option add_output() makes, by which run_tool() knows it.
constexpr const char* kOutputTypeName = "FILE";
} // namespace

void setup_app(CLI::App& app, const std::string& tool, CommonOptions& common) {
  app.name(tool);
  app.set_version_flag("--version", version_line(tool), "Print the version and git hash, then exit");
  app.add_flag("-v,--verbose", common.verbose, "Say more on stderr");
  app.add_flag("--quiet", common.quiet, "Print errors only (no progress, no notes); for cron");
  // Any long option may come from a file instead (its name without the dashes as the key;
  // a subcommand's options under [<subcommand>]); the command line wins over the file. A key
  // that names no option is a usage error, so a typo cannot be ignored silently.
  app.set_config("--config", "",
                 "Read options from a TOML file (key = value per long option; the command line "
                 "wins; configs/ has examples)")
      ->type_name("TOML");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.get_formatter()->column_width(32);
}

CLI::Option* add_output(CLI::App& app, std::string& path, const std::string& what) {
  return app.add_option("-o,--output", path, what + " (\"-\" = standard output)")
      ->type_name(kOutputTypeName)
      ->capture_default_str()
      ->check(input_path());
}

const CLI::Validator& input_path() {
  static const CLI::Validator validator(
      [](const std::string& value) -> std::string {
        return value.empty() ? "an empty path is not a file name" : std::string();
      },
      "", "input_path");
  return validator;
}

namespace {

/// @p value as a finite double, or nullopt.
std::optional<double> finite_number(const std::string& value) {
  return parse_double(value);
}

} // namespace

const CLI::Validator& positive() {
  static const CLI::Validator validator(
      [](const std::string& value) -> std::string {
        const auto v = finite_number(value);
        if (!v || !(*v > 0)) {
          return "must be a finite number greater than 0, got '" + value + "'";
        }
        return {};
      },
      "> 0", "positive");
  return validator;
}

const CLI::Validator& non_negative() {
  static const CLI::Validator validator(
      [](const std::string& value) -> std::string {
        const auto v = finite_number(value);
        if (!v || !(*v >= 0)) {
          return "must be a finite number of 0 or more, got '" + value + "'";
        }
        return {};
      },
      ">= 0", "non_negative");
  return validator;
}

const CLI::Validator& count() {
  static const CLI::Validator validator(
      [](const std::string& value) -> std::string {
        const auto v = parse_unsigned(value);
        if (!v || *v == 0) {
          return "must be a whole number greater than 0, got '" + value + "'";
        }
        return {};
      },
      ">= 1", "count");
  return validator;
}

CLI::Validator number_in(double lo, double hi, const std::string& unit) {
  const std::string range = fmt::format("{} to {}{}", lo, hi, unit.empty() ? "" : " " + unit);
  return CLI::Validator(
      [lo, hi, range](const std::string& value) -> std::string {
        const auto v = finite_number(value);
        if (!v || !(*v >= lo && *v <= hi)) {
          return "must be a number from " + range + ", got '" + value + "'";
        }
        return {};
      },
      range, "number_in");
}

CLI::Option* add_slowdown(CLI::App& app, double& factor) {
  static const CLI::Validator at_least_one(
      [](const std::string& value) -> std::string {
        const auto v = finite_number(value);
        if (!v || !(*v >= 1)) {
          return "must be a number >= 1 (how many times slower the emulated device is than "
                 "this machine's core), got '" + value + "'";
        }
        return {};
      },
      ">= 1", "slowdown");
  return app
      .add_option("--slowdown", factor,
                  "Emulate a device K times slower than this machine's core by time dilation: "
                  "every device run is held until K times its CPU time has passed (exact at any "
                  "granularity; see man edgent-profile)")
      ->type_name("K")
      ->check(at_least_one);
}

CLI::Option* add_input(CLI::App& app, const std::string& flags, std::string& path,
                       const std::string& what) {
  return app.add_option(flags, path, what + " (\"-\" = standard input)")
      ->type_name("FILE")
      ->check(input_path());
}

int run_tool(const std::string& tool, const std::string& description, int argc,
             const char* const* argv, CommonOptions& common,
             const std::function<void(CLI::App&)>& define, const std::function<int()>& run) {
  log::set_tool(tool);
  CLI::App app(description);
  try {
    setup_app(app, tool, common);
    define(app);
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    // --help and --version: print to stdout, exit 0.
    return app.exit(e);
  } catch (const CLI::ConfigError& e) {
    // CLI11 says "INI was not able to parse <key>": name the file and the key instead.
    const std::string what = e.what();
    const std::string prefix = "INI was not able to parse ";
    const CLI::Option* config = app.get_config_ptr();
    const std::string file = config != nullptr && config->count() > 0 ? config->as<std::string>() : "";
    if (what.rfind(prefix, 0) == 0 && !file.empty()) {
      log::emit("error", file + ": unknown key '" + what.substr(prefix.size()) + "'");
    } else {
      log::emit("error", (file.empty() ? "" : file + ": ") + what);
    }
    std::cerr << "Run '" << tool << " --help' for usage.\n";
    return to_int(ExitCode::usage);
  } catch (const CLI::ParseError& e) {
    log::emit("error", e.what());
    std::cerr << "Run '" << tool << " --help' for usage.\n";
    return to_int(ExitCode::usage);
  } catch (const Error& e) {
    // Cross-option validation in define() callbacks.
    log::emit("error", e.message());
    return to_int(e.exit_code());
  }
  log::set_level(common.quiet     ? log::Level::quiet
                 : common.verbose ? log::Level::verbose
                                  : log::Level::normal);
  try {
    // The output is written after the work: a path that cannot be written fails first.
    if (const CLI::Option* out = app.get_option_no_throw("--output");
        out && out->count() > 0 && out->get_type_name() == kOutputTypeName) {
      check_output_path(out->as<std::string>());
    }
    return run();
  } catch (const Error& e) {
    log::emit("error", e.message());
    return to_int(e.exit_code());
  } catch (const std::bad_alloc&) {
    log::emit("error", "out of memory");
    return to_int(ExitCode::failure);
  } catch (const std::exception& e) {
    log::emit("error", e.what());
    return to_int(ExitCode::failure);
  }
}

} // namespace edgent::cli
