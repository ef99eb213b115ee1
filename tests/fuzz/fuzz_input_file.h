// A file for the fuzz input, for loaders that take a path (gzip through zlib, HDF5 through
// libhdf5). One file per process, rewritten on every run and removed at exit, so parallel
// fuzzing jobs never read each other's inputs.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace dptrain::fuzzing {

class InputFile {
 public:
  explicit InputFile(const std::string& suffix)
      : path_((std::filesystem::temp_directory_path() /
               ("dptrain-fuzz-" + std::to_string(::getpid()) + suffix))
                  .string()) {}
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

  const std::string& path() const { return path_; }

  // Replaces the file's contents with the input and returns its path.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path_;
  }

 private:
  std::string path_;
};

}  // namespace dptrain::fuzzing
