#include "dptrain/data/atomic_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dptrain/error.h"

namespace dptrain {

void replace_atomically(const std::string& path,
                        const std::function<void(const std::string& temporary)>& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) throw Error(path + ": directory " + dir.string() + " does not exist");
  // Same directory as the target, so the rename stays within one filesystem and is atomic.
  const std::string temporary =
      (dir / ("." + target.filename().string() + ".tmp." + std::to_string(getpid()))).string();
  try {
    write(temporary);
    fs::rename(temporary, target);
  } catch (const fs::filesystem_error& e) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw Error(path + ": cannot write (" + e.code().message() + ")");
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  replace_atomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw Error(path + ": cannot write");
  });
}

}  // namespace dptrain
