#include "errors.h"

#include <mpi.h>

#include <cstdlib>
#include <iostream>

#include "launcher.h"

namespace dptrain {

int report_usage_error(const std::string& message) {
  if (launcher_rank() == 0) std::cerr << "dptrain: error: " << message << std::endl;
  return 1;
}

void abort_job(const std::string& message) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::cerr << "dptrain: error: rank " << rank << ": " << message << std::endl;
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::exit(1);
}

}  // namespace dptrain
