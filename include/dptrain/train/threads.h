// Threads per rank. LibTorch's intra-op pool (OpenMP) and OpenBLAS's own pool multiply, so both
// are set together; with several ranks per node each must stay within its share of the cores.
#pragma once

#include <string>

namespace dptrain {

// SLURM_CPUS_PER_TASK, else OMP_NUM_THREADS, else 1.
int default_thread_count();
// Where default_thread_count() came from, for messages: "SLURM_CPUS_PER_TASK=8",
// "OMP_NUM_THREADS=4", or "" (neither set: 1).
std::string default_thread_source();

// Sets LibTorch intra-op and inter-op threads and BLAS threads to `threads`.
void set_thread_count(int threads);

// Cores the job has on this node: SLURM_CPUS_ON_NODE under Slurm, else all of the node's
// (not only those this process is bound to: bound ranks each see one core).
int node_core_count();

// A warning when ranks on a node × threads per rank exceed its cores ("" when they fit):
// oversubscribed ranks make epochs several times slower.
std::string oversubscription_warning(int ranks_on_node, int threads, int cores);

}  // namespace dptrain
