// Scratch directories for tests that write files, removed when the test program exits.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace dptrain::testing {

// The directories this process made. Removed when it exits, whether its tests passed or not:
// every run of the suite would otherwise leave them (megabytes of checkpoints) in /tmp. A test
// that crashes leaves them, with what it wrote. A child forked by a death test inherits the
// list; only the process that made a directory removes it.
class ScratchDirs {
 public:
  ~ScratchDirs() {
    if (::getpid() != owner_) return;
    for (const auto& dir : made_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }
  void add(const std::filesystem::path& dir) { made_.push_back(dir); }

 private:
  pid_t owner_ = ::getpid();
  std::vector<std::filesystem::path> made_;
};

// A fresh, empty directory under the system temp directory, named after the test and process.
inline std::string scratch_dir(const std::string& name) {
  static ScratchDirs made;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dptrain-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  made.add(dir);
  return dir.string();
}

}  // namespace dptrain::testing
