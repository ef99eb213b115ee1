#include "checkpoint_options.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "thread_option.h"
#include "dptrain/checkpoint/checkpointer.h"
#include "dptrain/error.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/fingerprint.h"

namespace dptrain {

void add_checkpoint_options(CLI::App& cmd, CheckpointOptions& options) {
  cmd.add_option("--data", options.data, "HDF5 file written by `dptrain convert`; its /test is used")
      ->required();
  cmd.add_option("--checkpoint", options.checkpoint,
                 "model.pt written by `dptrain train --out-dir DIR`, or DIR itself, or a "
                 "ckpt-*.dpt training checkpoint, or the --checkpoint-dir holding them (the newest)")
      ->required();
  cmd.add_option("--model", options.model,
                 "Model the checkpoint belongs to (default: recorded in a .dpt checkpoint, or in "
                 "config.toml next to model.pt, else quickstart-mlp)")
      // Not the same as leaving it out, which takes the model the run recorded.
      ->check(given("model name (leave --model out to take the recorded one)"));
  options.threads_option = add_threads_option(cmd, options.threads, "Threads for LibTorch and BLAS");
}

std::string checkpoint_file(const std::string& checkpoint) {
  const std::filesystem::path path(checkpoint);
  if (!std::filesystem::is_directory(path)) return checkpoint;
  const std::filesystem::path model = path / "model.pt";
  if (std::filesystem::exists(model)) return model.string();
  // A --checkpoint-dir: its newest intact checkpoint, the one --resume would continue from.
  std::string damaged;
  const std::optional<std::string> newest = Checkpointer(checkpoint, 1).newest_valid(&damaged);
  if (!newest && !damaged.empty()) {
    throw Error(checkpoint + ": no model.pt and no intact checkpoint (" + damaged + ")");
  }
  if (newest && !damaged.empty()) std::cerr << "dptrain: warning: " << damaged << std::endl;
  return newest ? *newest : model.string();
}

namespace {

bool is_training_checkpoint(const std::string& model_file) {
  return std::filesystem::path(model_file).extension() == ".dpt" &&
         std::filesystem::is_regular_file(model_file);
}

// The model a training checkpoint recorded with its configuration.
std::string model_in_training_checkpoint(const std::string& model_file) {
  const std::string model = fingerprint_value(read_checkpoint_info(model_file).fingerprint, "model");
  if (model.empty()) throw Error(model_file + ": the checkpoint does not record its model (pass --model)");
  return model;
}

// The `model` that `dptrain train --out-dir` recorded in config.toml next to model.pt.
std::string model_in_run_config(const std::string& model_file) {
  const std::filesystem::path config =
      std::filesystem::path(model_file).parent_path() / "config.toml";
  if (!std::filesystem::is_regular_file(config)) return "";
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(config.string());
  } catch (const CLI::Error& e) {
    throw Error(config.string() + ": " + e.what());
  }
  for (const CLI::ConfigItem& item : items) {
    if (item.name != "model" || item.inputs.size() != 1) continue;
    const std::vector<std::string> known = model_names();
    if (std::find(known.begin(), known.end(), item.inputs.front()) == known.end()) {
      throw Error(config.string() + ": unknown model '" + item.inputs.front() +
                  "' (pass --model to choose one)");
    }
    return item.inputs.front();
  }
  return "";
}

}  // namespace

std::string checkpoint_model(const CheckpointOptions& options, const std::string& model_file) {
  if (!options.model.empty()) return options.model;
  if (is_training_checkpoint(model_file)) return model_in_training_checkpoint(model_file);
  const std::string recorded = model_in_run_config(model_file);
  return recorded.empty() ? "quickstart-mlp" : recorded;
}

}  // namespace dptrain
