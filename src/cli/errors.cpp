#include "errors.h"

#include <mpi.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "launcher.h"
#include "dptrain/comm/fail_together.h"

namespace dptrain {

std::string error_message(const std::exception& e) {
  const auto* filesystem = dynamic_cast<const std::filesystem::filesystem_error*>(&e);
  if (!filesystem || filesystem->path1().empty()) return e.what();
  return filesystem->path1().string() + ": " + filesystem->code().message();
}

int report_usage_error(const std::string& message) {
  if (launcher_rank() == 0) std::cerr << "dptrain: error: " << message << std::endl;
  return 1;
}

void abort_job(const std::string& message) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  print_error_line((size > 1 ? "rank " + std::to_string(rank) + ": " : std::string()) + message);
  // Alone there is nobody to wake, and MPI_Abort would add its banner of several lines.
  if (size == 1) std::_Exit(1);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

}  // namespace dptrain
