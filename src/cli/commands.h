// The subcommands of the dptrain program. Each adds itself to the CLI11 app and returns a
// function that runs it once the command line has been parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace dptrain {

using CommandRunner = std::function<int(int argc, char** argv)>;

// For an option naming a file to write: an empty name (`--output ''`) is refused by the
// option's name, not later by an error about a file called "".
inline CLI::Validator file_name_given() {
  return CLI::Validator(
      [](std::string& value) { return value.empty() ? std::string("an empty file name") : std::string(); },
      "");
}

CommandRunner add_convert_command(CLI::App& app);
CommandRunner add_train_command(CLI::App& app);
CommandRunner add_bench_command(CLI::App& app);
CommandRunner add_eval_command(CLI::App& app);
CommandRunner add_show_command(CLI::App& app);

}  // namespace dptrain
