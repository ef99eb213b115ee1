// The rank a launcher gave this process, known before MPI starts: lets the command line
// front end print parse errors and help once instead of once per rank.
#pragma once

#include <cstdlib>

namespace dptrain {

inline int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

}  // namespace dptrain
