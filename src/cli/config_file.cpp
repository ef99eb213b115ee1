#include "config_file.h"

#include <filesystem>
#include <string>
#include <vector>

#include "dptrain/error.h"

namespace dptrain {
namespace {

// CLI11 keeps the opening quote of a string that is never closed (`metrics = "run.jsonl`) as
// part of the value, which would become a file name with a quote in it.
void check_quotes_closed(const std::string& path, const CLI::ConfigItem& item) {
  for (const std::string& value : item.inputs) {
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      throw Error(path + ": " + item.fullname() + ": the string " + value + " has no closing quote");
    }
  }
}

}  // namespace

void apply_config_file(CLI::App& cmd, const std::string& path) {
  if (std::filesystem::is_directory(path)) throw Error(path + ": is a directory, not a configuration file");
  if (!std::filesystem::exists(path)) throw Error(path + ": no such configuration file");
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(path + ": not a regular file (a pipe or a device); give a TOML file");
  }
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    throw Error(path + ": " + e.what());
  }
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers, not keys
    const bool ours = item.parents.empty() || (item.parents.size() == 1 && item.parents[0] == cmd.get_name());
    CLI::Option* option = nullptr;
    try {
      option = cmd.get_option("--" + item.name);
    } catch (const CLI::OptionNotFound&) {
    }
    if (!ours || !option || item.name == "config" || item.name == "help") {
      throw Error(path + ": unknown option '" + item.fullname() + "'");
    }
    if (option->count() > 0) continue;  // the command line wins
    check_quotes_closed(path, item);
    std::vector<std::string> inputs = item.inputs;
    // A flag's negated name means its opposite, as on the command line: `no-shuffle = true`
    // is shuffle off (added as given, it turned shuffling on).
    if (option->get_expected_min() == 0 && inputs.size() == 1) {
      inputs = {option->get_flag_value(item.name, inputs.front())};
    }
    try {
      option->add_result(inputs);
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw Error(path + ": " + item.fullname() + ": " + e.what());
    }
  }
}

}  // namespace dptrain
