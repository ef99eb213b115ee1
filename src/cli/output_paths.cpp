#include "output_paths.h"

#include <filesystem>
#include <system_error>

#include "dptrain/error.h"

namespace dptrain {
namespace {

namespace fs = std::filesystem;

// Outputs need not exist yet: they are compared by their resolved names, and existing files
// also by identity (a hard link has a name of its own).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  if (fs::equivalent(a, b, error)) return true;
  const fs::path x = fs::weakly_canonical(a, error);
  if (error) return false;
  const fs::path y = fs::weakly_canonical(b, error);
  return !error && x == y;
}

}  // namespace

void check_outputs_apart(const std::vector<NamedFile>& inputs, const std::vector<NamedFile>& outputs) {
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const NamedFile& output = outputs[o];
    if (output.path.empty()) continue;
    for (const NamedFile& input : inputs) {
      if (input.path.empty() || !same_file(output.path, input.path)) continue;
      throw Error(output.path + ": given as both " + input.option + " and " + output.option +
                  ", so writing the output would destroy the input; give the output a file of its own");
    }
    for (std::size_t other = 0; other < o; ++other) {
      if (outputs[other].path.empty() || !same_file(output.path, outputs[other].path)) continue;
      throw Error(output.path + ": given as both " + outputs[other].option + " and " + output.option +
                  "; give each output a file of its own");
    }
  }
}

void check_train_outputs_apart(const TrainConfig& c, const std::string& config_file) {
  std::vector<NamedFile> outputs{{"--metrics", c.metrics}};
  if (!c.out_dir.empty()) {
    const fs::path dir(c.out_dir);
    outputs.push_back({"--out-dir's model.pt", (dir / "model.pt").string()});
    outputs.push_back({"--out-dir's config.toml", (dir / "config.toml").string()});
  }
  check_outputs_apart({{"--data", c.data}, {"--config", config_file}}, outputs);
}

}  // namespace dptrain
