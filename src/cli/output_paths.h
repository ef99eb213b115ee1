// Outputs kept apart from the inputs and from each other: `--metrics data.h5` replaced the
// dataset with JSON lines, and two outputs of one name left only the last one written.
#pragma once

#include <string>
#include <vector>

#include "dptrain/config/config.h"

namespace dptrain {

// A file the command reads or writes, and the option that names it ("--data",
// "--out-dir's model.pt").
struct NamedFile {
  std::string option;
  std::string path;
};

// Throws dptrain::Error naming both options when an output is the same file as an input or as
// another output: by name, through symbolic links, or as a hard link. Empty paths are left out.
void check_outputs_apart(const std::vector<NamedFile>& inputs, const std::vector<NamedFile>& outputs);

// check_outputs_apart for `dptrain train`: --metrics and the files of --out-dir against --data,
// the --config file and each other.
void check_train_outputs_apart(const TrainConfig& config, const std::string& config_file);

}  // namespace dptrain
