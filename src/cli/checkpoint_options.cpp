#include "checkpoint_options.h"

#include <algorithm>
#include <filesystem>

#include "thread_option.h"
#include "dptrain/error.h"
#include "dptrain/model/registry.h"

namespace dptrain {

void add_checkpoint_options(CLI::App& cmd, CheckpointOptions& options) {
  cmd.add_option("--data", options.data, "HDF5 file written by `dptrain convert`; its /test is used")
      ->required();
  cmd.add_option("--checkpoint", options.checkpoint,
                 "model.pt written by `dptrain train --out-dir DIR`, or DIR itself, or a "
                 "ckpt-*.dpt training checkpoint")
      ->required();
  cmd.add_option("--model", options.model,
                 "Model the checkpoint belongs to (default: from config.toml next to it, else "
                 "quickstart-mlp)");
  add_threads_option(cmd, options.threads, "Threads for LibTorch and BLAS")
      ->check(CLI::PositiveNumber);
}

std::string checkpoint_file(const std::string& checkpoint) {
  const std::filesystem::path path(checkpoint);
  return std::filesystem::is_directory(path) ? (path / "model.pt").string() : checkpoint;
}

std::string checkpoint_model(const CheckpointOptions& options, const std::string& model_file) {
  if (!options.model.empty()) return options.model;
  const std::filesystem::path config =
      std::filesystem::path(model_file).parent_path() / "config.toml";
  if (!std::filesystem::is_regular_file(config)) return "quickstart-mlp";
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
  return "quickstart-mlp";
}

}  // namespace dptrain
