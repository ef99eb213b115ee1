// `dptrain eval`: a trained model on the test split — accuracy, per-class accuracy and the
// confusion matrix on the terminal, and with --out-dir as confusion.json and confusion.png.
#include <filesystem>
#include <iostream>
#include <memory>

#include "checkpoint_options.h"
#include "commands.h"
#include "thread_option.h"
#include "dptrain/data/atomic_file.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/error.h"
#include "dptrain/metrics/confusion.h"
#include "dptrain/model/checkpoint.h"
#include "dptrain/plots/confusion_heatmap.h"
#include "dptrain/train/predict.h"
#include "dptrain/train/threads.h"

namespace dptrain {
namespace {

struct EvalOptions {
  CheckpointOptions checkpoint;
  std::string out_dir;
};

// Everything is computed before any file is written, so bad input leaves no output behind.
int run_eval(const EvalOptions& options) {
  const CheckpointOptions& c = options.checkpoint;
  check_threads(*c.threads_option, c.threads);
  set_thread_count(c.threads);
  const std::string model_file = checkpoint_file(c.checkpoint);
  const std::string model_name = checkpoint_model(c, model_file);
  const Shard test = read_shard(c.data, "test", {0, split_length(c.data, "test")});
  torch::nn::Sequential model = load_model(model_name, model_file);
  // Made once the inputs are known to be good, and before the scoring: a directory that cannot
  // be made (a read-only $HOME on a compute node) fails before the whole split is scored.
  if (!options.out_dir.empty()) create_output_directory("--out-dir", options.out_dir);
  const auto& names = fashion_mnist_classes();
  const ConfusionMatrix matrix = confusion_matrix(test.labels, predict(model, test, model_file),
                                                  {names.begin(), names.end()});
  std::cout << "# dptrain eval: model " << model_name << " from " << model_file << " on "
            << c.data << " /test (" << test.count << " samples)\n"
            << confusion_text(matrix) << std::flush;
  if (options.out_dir.empty()) return 0;
  const std::filesystem::path dir(options.out_dir);
  const std::string json = (dir / "confusion.json").string();
  write_text_atomically(
      json, confusion_json(matrix, {{"model", model_name}, {"checkpoint", model_file}, {"data", c.data}}));
  try {
    write_confusion_heatmap(matrix, (dir / "confusion.png").string());
  } catch (const std::exception&) {
    std::error_code ignored;
    std::filesystem::remove(json, ignored);  // both or neither: one alone looks like a whole result
    throw;
  }
  std::cout << "wrote " << json << " and "
            << (dir / "confusion.png").string() << std::endl;
  return 0;
}

}  // namespace

CommandRunner add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Evaluate a trained model on the test split: accuracy, per-class accuracy and the "
              "confusion matrix (one process)");
  add_checkpoint_options(*cmd, options->checkpoint);
  cmd->add_option("--out-dir", options->out_dir,
                  "Also write confusion.json and confusion.png (a heatmap) to this directory");
  return [options](int, char**) { return run_eval(*options); };
}

}  // namespace dptrain
