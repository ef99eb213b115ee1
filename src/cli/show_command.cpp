// `dptrain show`: the workshop's picture — test images with the class the model predicts and
// the true class, misclassified ones marked — as one PNG.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "checkpoint_options.h"
#include "commands.h"
#include "output_paths.h"
#include "thread_option.h"
#include "dptrain/data/atomic_file.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/error.h"
#include "dptrain/model/checkpoint.h"
#include "dptrain/plots/sprite.h"
#include "dptrain/train/predict.h"
#include "dptrain/train/threads.h"

namespace dptrain {
namespace {

struct ShowOptions {
  CheckpointOptions checkpoint;
  std::string output;
  std::int64_t first = 0;
  int count = 25;
};

// The images asked for, cut short at the end of the split rather than refused.
ShardRange requested_range(const ShowOptions& options, std::int64_t test_samples) {
  if (options.first >= test_samples) {
    throw Error(options.checkpoint.data + ": /test has " + std::to_string(test_samples) +
                " samples, --first " + std::to_string(options.first) + " is past its end");
  }
  return {options.first, std::min<std::int64_t>(options.count, test_samples - options.first)};
}

int run_show(const ShowOptions& options) {
  const CheckpointOptions& c = options.checkpoint;
  check_threads(*c.threads_option, c.threads);
  set_thread_count(c.threads);
  const std::string model_file = checkpoint_file(c.checkpoint);
  const std::string model_name = checkpoint_model(c, model_file);
  // The config.toml beside model.pt is read for the model's name (checkpoint_model).
  const std::string run_config = (std::filesystem::path(model_file).parent_path() / "config.toml").string();
  check_outputs_apart({{"--data", c.data}, {"--checkpoint", model_file}, {"--checkpoint's config.toml", run_config}},
                      {{"--output", options.output}});
  const ShardRange range = requested_range(options, split_length(c.data, "test"));
  const Shard images = read_shard(c.data, "test", range);
  torch::nn::Sequential model = load_model(model_name, model_file);
  const std::vector<int> predicted = predict(model, images, model_file);
  std::vector<SpriteItem> items;
  for (std::int64_t i = 0; i < images.count; ++i) {
    items.push_back({images.images.data() + i * kImagePixels, predicted[static_cast<std::size_t>(i)],
                     images.labels[static_cast<std::size_t>(i)]});
  }
  const std::filesystem::path parent = std::filesystem::path(options.output).parent_path();
  if (!parent.empty()) create_output_directory("--output", parent.string());
  const std::string source =
      model_name + (range.count == 1 ? " on test image " + std::to_string(range.begin)
                                     : " on test images " + std::to_string(range.begin) + "-" +
                                           std::to_string(range.begin + range.count - 1));
  write_sprite(items, fashion_mnist_classes(), source, options.output);
  const auto wrong = std::count_if(items.begin(), items.end(),
                                   [](const SpriteItem& it) { return it.predicted != it.truth; });
  std::cout << "wrote " << options.output << ": " << items.size() << " test images, " << wrong
            << " misclassified" << std::endl;
  return 0;
}

}  // namespace

CommandRunner add_show_command(CLI::App& app) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* cmd = app.add_subcommand(
      "show", "Draw test images with predicted and true class names into a PNG; misclassified "
              "ones are framed in red (one process)");
  add_checkpoint_options(*cmd, options->checkpoint);
  cmd->add_option("--output", options->output, "PNG file to write")->required()->check(file_name_given());
  cmd->add_option("--count", options->count, "Number of test images")
      ->check(CLI::Range(1, 400))
      ->capture_default_str();
  cmd->add_option("--first", options->first, "Index of the first test image")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40))  // any real test split
      ->capture_default_str();
  return [options](int, char**) { return run_show(*options); };
}

}  // namespace dptrain
