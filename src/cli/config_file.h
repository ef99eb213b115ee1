// `--config FILE.toml`: options of a subcommand read from a TOML file. Values given on the
// command line win; keys may stand at the top level or under a [<subcommand>] table.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace dptrain {

// Fills every option of `cmd` that the command line left unset from `path`. Throws
// dptrain::Error naming the file for a missing file, bad syntax or an unknown key.
void apply_config_file(CLI::App& cmd, const std::string& path);

}  // namespace dptrain
