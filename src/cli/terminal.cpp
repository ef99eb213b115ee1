#include "terminal.h"

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

}  // namespace

bool stdout_is_terminal() {
  if (!isatty(STDOUT_FILENO)) return false;
  // Open MPI's mpirun gives every rank a pseudo-terminal of its own whatever its own output
  // is, so `mpirun ... > log` would look like a terminal: ask what mpirun writes to. Ranks
  // that mpirun starts through a remote daemon see the daemon's output, which is no terminal.
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) return is_terminal_device(stdout_target(getppid()));
  return true;
}

}  // namespace dptrain
