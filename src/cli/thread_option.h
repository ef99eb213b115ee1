// --threads, as every subcommand that computes offers it: one default and one explanation of it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace dptrain {

// Adds --threads to `cmd`, described as `what` followed by where the default comes from, and
// sets `threads` to that default (SLURM_CPUS_PER_TASK, then OMP_NUM_THREADS, then 1).
CLI::Option* add_threads_option(CLI::App& cmd, int& threads, const std::string& what);

// Throws dptrain::Error unless `threads`, the value of `option` (--threads), is from 1 to
// kMaxThreads; a value nobody passed is blamed on the variable it came from.
void check_threads(const CLI::Option& option, int threads);

}  // namespace dptrain
