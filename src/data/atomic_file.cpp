#include "dptrain/data/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "dptrain/error.h"

namespace dptrain {
namespace {

namespace fs = std::filesystem;

// The temporary file being written, for the signal handler below: a plain buffer, since a
// handler may read nothing else. Empty while no file is being written.
char g_temporary[4096] = {};

// Ctrl-C or a scancel during a long write (a `dptrain convert` takes seconds) would otherwise
// leave a hidden temporary file of tens of MB behind every time.
extern "C" void remove_temporary_and_reraise(int signal_number) {
  if (g_temporary[0] != '\0') unlink(g_temporary);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Installs the handler for the signals that end a process by default, leaving alone any a
// program has taken over (dptrain train turns SIGTERM into "checkpoint and stop").
void remove_temporary_on_signals() {
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    if (sigaction(signal_number, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(signal_number, remove_temporary_and_reraise);
    }
  }
}

// Names the temporary file for the signal handler while it exists.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& path) : path_(path) {
    if (path.size() >= sizeof g_temporary) return;  // then only the usual clean-up applies
    remove_temporary_on_signals();
    std::memcpy(g_temporary, path.c_str(), path.size() + 1);
  }
  ~TemporaryFile() {
    g_temporary[0] = '\0';
    std::error_code ignored;
    fs::remove(path_, ignored);  // nothing left once renamed
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

 private:
  std::string path_;
};

// A rename would put a regular file in place of a device (/dev/null) or a directory, and
// opening a named pipe to check it waits for a reader.
void refuse_unless_regular(const std::string& path) {
  std::error_code status_error;
  const fs::file_status status = fs::status(path, status_error);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    throw Error(path + ": exists and is not a regular file (dptrain writes its outputs as whole "
                "files; give a file name)");
  }
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw Error(path + ": cannot open to sync");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Error(path + ": fsync failed");
}

// Gives the complete temporary file the name `target` only if no file has it: a hard link
// fails on an existing name, where a rename would replace it. Where the filesystem has no hard
// links, a rename after a last look (not atomic, but the best such a filesystem allows).
void move_unless_taken(const fs::path& temporary, const fs::path& target) {
  if (::link(temporary.c_str(), target.c_str()) == 0) return;
  const int error = errno;
  if (error == EEXIST || fs::exists(target)) {
    throw Error(target.string() + ": already exists (another process created it while this one wrote)");
  }
  if (error != EPERM && error != ENOTSUP && error != EXDEV) {
    throw Error(target.string() + ": cannot write (" + std::strerror(error) + ")");
  }
  fs::rename(temporary, target);
}

}  // namespace

void replace_atomically(const std::string& path,
                        const std::function<void(const std::string& temporary)>& write,
                        IfExists if_exists) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) throw Error(path + ": directory " + dir.string() + " does not exist");
  refuse_unless_regular(path);
  // Same directory as the target, so the rename stays within one filesystem and is atomic.
  const std::string temporary =
      (dir / ("." + target.filename().string() + ".tmp." + std::to_string(getpid()))).string();
  TemporaryFile removed_unless_renamed(temporary);
  try {
    write(temporary);
    if (if_exists == IfExists::refuse) {
      move_unless_taken(temporary, target);  // the temporary file goes with removed_unless_renamed
    } else {
      fs::rename(temporary, target);
    }
  } catch (const fs::filesystem_error& e) {
    throw Error(path + ": cannot write (" + e.code().message() + ")");
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  replace_atomically(path, [&](const std::string& temporary) {
    errno = 0;
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.close();
    // The stream keeps no error code; errno still holds the system's (a full disk, a quota).
    if (!out) throw Error(path + ": cannot write (" + (errno ? std::strerror(errno) : "disk full?") + ")");
  });
}

void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           IfExists if_exists) {
  replace_atomically(path, [&](const std::string& temporary) {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out.is_open()) {
        throw Error(path + ": cannot create a file in " + fs::path(temporary).parent_path().string() +
                    " (" + std::strerror(errno) + ")");
      }
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      if (!out.flush()) throw Error(path + ": write failed (disk full?)");
    }
    // On disk before the rename makes it visible: a crash cannot leave a named, empty file.
    fsync_path(temporary, O_RDONLY);
  }, if_exists);
  const std::filesystem::path target(path);
  fsync_path(target.has_parent_path() ? target.parent_path().string() : ".", O_RDONLY | O_DIRECTORY);
}

void check_writable(const std::string& path, const std::string& what) {
  refuse_unless_regular(path);
  const bool existed = fs::exists(path);
  if (!std::ofstream(path, std::ios::app)) throw Error(path + ": cannot open " + what + " for writing");
  std::error_code ignored;
  if (!existed) fs::remove(path, ignored);
}

void create_output_directory(const std::string& option, const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir)) {
    throw Error(option + " " + dir + ": cannot create the directory (" +
                (error ? error.message() : std::string("a file of that name exists")) + ")");
  }
}

}  // namespace dptrain
