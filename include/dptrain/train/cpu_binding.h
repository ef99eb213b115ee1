// Where each rank may run, and the warning when the binding of a node's ranks leaves them fewer
// CPUs than they need, which makes epochs several times slower without any other sign:
// - ranks stacked on the same CPUs: OMP_PROC_BIND binds each rank's threads from the first core
//   it sees, so when the launcher gives the ranks no cores of their own (srun where the cluster
//   cannot bind, --cpu-bind=none, mpirun --bind-to none or socket) every rank of a node lands
//   on core 0;
// - a rank with fewer CPUs than threads: a launcher that binds each rank to one core while the
//   rank runs several threads (srun without --cpus-per-task, mpirun --bind-to core).
#pragma once

#include <string>
#include <vector>

namespace dptrain {

struct RankCpus {
  std::string node;
  int online = 0;         // CPUs of the node
  std::vector<int> cpus;  // those the rank's training thread may run on, ascending
};

// This rank's, as one line of text to gather: "NODE ONLINE LIST" (LIST as in
// /proc/self/status, e.g. 0-3,8).
std::string describe_this_rank_cpus();

// The inverse of describe_this_rank_cpus; throws Error on text it did not write.
RankCpus parse_rank_cpus(const std::string& text);

// "0-3,8" for {0, 1, 2, 3, 8}.
std::string cpu_list_text(const std::vector<int>& cpus);

// Whether OpenMP binds threads to places (OMP_PROC_BIND other than false, or OMP_PLACES alone).
bool openmp_binds_threads();

// "" when every node's ranks have CPUs enough; else one line about the first node short of
// them, and what to do. `ranks` are in rank order.
std::string cpu_binding_warning(const std::vector<RankCpus>& ranks, int threads, bool openmp_binds);

}  // namespace dptrain
