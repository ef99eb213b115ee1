#include "terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace dptrain {
namespace {

// The file behind another process's standard output, e.g. "/dev/pts/3" or "pipe:[1234]".
std::string stdout_target(pid_t pid) {
  const std::string link = "/proc/" + std::to_string(pid) + "/fd/1";
  char target[256];
  const ssize_t length = readlink(link.c_str(), target, sizeof target - 1);
  return length > 0 ? std::string(target, static_cast<std::size_t>(length)) : std::string();
}

bool is_terminal_device(const std::string& path) {
  return path.rfind("/dev/pts/", 0) == 0 || path.rfind("/dev/tty", 0) == 0;
}

int columns_of(int fd) {
  struct winsize size {};
  return ioctl(fd, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
}

int columns_of_device(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOCTTY);
  if (fd < 0) return 0;
  const int columns = columns_of(fd);
  close(fd);
  return columns;
}

}  // namespace

bool stdout_is_terminal() {
  if (!isatty(STDOUT_FILENO)) return false;
  // Open MPI's mpirun gives every rank a pseudo-terminal of its own whatever its own output
  // is, so `mpirun ... > log` would look like a terminal: ask what mpirun writes to. Ranks
  // that mpirun starts through a remote daemon see the daemon's output, which is no terminal.
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) return is_terminal_device(stdout_target(getppid()));
  return true;
}

int terminal_columns() {
  int columns = 0;
  if (!std::getenv("OMPI_COMM_WORLD_SIZE")) {
    columns = columns_of(STDOUT_FILENO);
  } else if (const std::string device = stdout_target(getppid()); is_terminal_device(device)) {
    // mpirun's pseudo-terminal for the rank has a size of its own; the user sees mpirun's.
    columns = columns_of_device(device);
  }
  if (columns <= 0) {
    if (const char* env = std::getenv("COLUMNS")) columns = std::atoi(env);
  }
  return columns > 0 ? columns : 0;
}

}  // namespace dptrain
