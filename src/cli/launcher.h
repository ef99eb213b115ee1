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

// How many processes the launcher started together; 1 without a launcher. (SLURM_NTASKS is
// not it: a batch script sees the whole allocation's tasks but runs as one process.)
inline int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 1;
}

}  // namespace dptrain
