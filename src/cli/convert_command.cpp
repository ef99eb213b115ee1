// `dptrain convert`: Fashion-MNIST IDX files → the HDF5 file that training reads.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "output_paths.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/hdf5_dataset.h"

namespace dptrain {
namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  bool force = false;
};

int run_convert(const ConvertOptions& options) {
  // --force must not let the output replace one of the IDX files it is made from.
  std::vector<NamedFile> inputs;
  for (const std::string& file : fashion_mnist_idx_files(options.input)) inputs.push_back({"--input", file});
  check_outputs_apart(inputs, {{"--output", options.output}});
  const FashionMnist data = read_fashion_mnist_idx(options.input);
  write_dataset(data, options.output, options.force);
  std::cout << "wrote " << options.output << ": " << data.train.count << " training and "
            << data.test.count << " test images" << std::endl;
  return 0;
}

}  // namespace

CommandRunner add_convert_command(CLI::App& app) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert the four Fashion-MNIST IDX files (gzip or plain) into one HDF5 file");
  cmd->add_option("--input", options->input,
                  "Directory with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
                  "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]")
      ->required()
      ->check(given("directory name"));
  cmd->add_option("--output", options->output, "HDF5 file to write")->required()->check(file_name_given());
  cmd->add_flag("--force", options->force, "Replace the output file if it exists");
  return [options](int, char**) { return run_convert(*options); };
}

}  // namespace dptrain
