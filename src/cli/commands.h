// The subcommands of the dptrain program. Each adds itself to the CLI11 app and returns a
// function that runs it once the command line has been parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace dptrain {

using CommandRunner = std::function<int(int argc, char** argv)>;

// For an option that must name something: an empty value (`--output ''`) is refused by the
// option's name ("--output: an empty file name"), not later by an error about a file called "".
inline CLI::Validator given(const std::string& what) {
  return CLI::Validator([what](std::string& value) { return value.empty() ? "an empty " + what : std::string(); },
                        "");
}

// For an option naming a file to write: a name ending in '/' names a directory (`--metrics
// runs/`), which would be created and then refused as not a file. Refused by the option's name.
inline CLI::Validator not_a_directory_name() {
  return CLI::Validator(
      [](std::string& value) {
        return !value.empty() && value.back() == '/' ? "'" + value + "' ends in '/': a file name expected"
                                                     : std::string();
      },
      "");
}

// Both, for an output that must be named.
inline CLI::Validator file_name_given() { return given("file name") & not_a_directory_name(); }

CommandRunner add_convert_command(CLI::App& app);
CommandRunner add_train_command(CLI::App& app);
CommandRunner add_bench_command(CLI::App& app);
CommandRunner add_eval_command(CLI::App& app);
CommandRunner add_show_command(CLI::App& app);

}  // namespace dptrain
