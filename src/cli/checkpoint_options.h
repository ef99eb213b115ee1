// What `dptrain eval` and `dptrain show` share: the test split, a trained model's checkpoint,
// and the model name that checkpoint belongs to.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace dptrain {

struct CheckpointOptions {
  std::string data;
  std::string checkpoint;
  std::string model;  // empty: recorded by the run (see checkpoint_model), else quickstart-mlp
  int threads = 1;
  const CLI::Option* threads_option = nullptr;  // for check_threads
};

// Adds --data, --checkpoint, --model and --threads to `cmd`.
void add_checkpoint_options(CLI::App& cmd, CheckpointOptions& options);

// The model file: `checkpoint` itself; for a directory, its model.pt (a run's --out-dir), else
// its newest intact ckpt-*.dpt (a --checkpoint-dir; damaged ones are skipped with a warning).
std::string checkpoint_file(const std::string& checkpoint);

// --model if given; else the model a ckpt-*.dpt records, or the `model` that `dptrain train`
// recorded in config.toml next to model.pt; else quickstart-mlp (the default of `dptrain
// train`). Throws dptrain::Error naming the file that cannot be read.
std::string checkpoint_model(const CheckpointOptions& options, const std::string& model_file);

}  // namespace dptrain
