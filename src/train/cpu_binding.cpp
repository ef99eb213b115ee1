#include "dptrain/train/cpu_binding.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "dptrain/error.h"

namespace dptrain {
namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "this-node";
  return name;
}

// All of the node's when the kernel does not say (then nothing is reported as bound).
std::vector<int> cpus_of_this_thread(long online) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) {
    for (long cpu = 0; cpu < online; ++cpu) cpus.push_back(static_cast<int>(cpu));
  }
  return cpus;
}

std::vector<int> parse_cpu_list(const std::string& list, const std::string& text) {
  std::vector<int> cpus;
  std::stringstream parts(list);
  std::string part;
  while (std::getline(parts, part, ',')) {
    int first = 0, last = 0;
    char dash = 0, rest = 0;
    std::istringstream in(part);
    if (!(in >> first)) throw Error("not a CPU list: '" + text + "'");
    if (in >> dash) {
      if (dash != '-' || !(in >> last) || last < first || (in >> rest)) {
        throw Error("not a CPU list: '" + text + "'");
      }
    } else {
      last = first;
    }
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Ranks of one node bound so that together they may use fewer CPUs than there are ranks.
std::string stacked_ranks(const std::string& node, const std::vector<const RankCpus*>& ranks,
                          bool openmp_binds) {
  std::set<int> together;
  bool bound = false;
  for (const RankCpus* r : ranks) {
    together.insert(r->cpus.begin(), r->cpus.end());
    bound = bound || static_cast<int>(r->cpus.size()) < r->online;
  }
  // Unbound ranks that outnumber the cores are the oversubscription warning's to report.
  if (!bound || together.size() >= ranks.size()) return "";
  const std::vector<int> cpus(together.begin(), together.end());
  std::string line = "the " + std::to_string(ranks.size()) + " ranks on " + node + " are bound to " +
                     plural(cpus.size(), "CPU") + " (" + cpu_list_text(cpus) +
                     ") between them: expect epochs several times slower. ";
  if (openmp_binds) {
    line += "OMP_PROC_BIND binds each rank's threads from the first core it may use, and the "
            "launcher gave the ranks no cores of their own; ";
  }
  return line + "bind each rank to cores of its own (srun --cpu-bind=cores, mpirun --bind-to core)" +
         (openmp_binds ? ", or unset OMP_PROC_BIND and OMP_PLACES" : "");
}

}  // namespace

std::string cpu_list_text(const std::vector<int>& cpus) {
  std::string text;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!text.empty()) text += ",";
    text += std::to_string(cpus[i]);
    if (j > i) text += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return text;
}

std::string describe_this_rank_cpus() {
  const long online = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  return host_name() + " " + std::to_string(online) + " " + cpu_list_text(cpus_of_this_thread(online));
}

RankCpus parse_rank_cpus(const std::string& text) {
  std::istringstream in(text);
  RankCpus r;
  std::string list;
  if (!(in >> r.node >> r.online >> list) || r.online < 1) {
    throw Error("not a rank's CPUs: '" + text + "'");
  }
  r.cpus = parse_cpu_list(list, text);
  return r;
}

bool openmp_binds_threads() {
  const char* bind = std::getenv("OMP_PROC_BIND");
  if (!bind) return std::getenv("OMP_PLACES") != nullptr;
  std::string value(bind);
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  return value != "false";
}

std::string cpu_binding_warning(const std::vector<RankCpus>& ranks, int threads, bool openmp_binds) {
  std::map<std::string, std::vector<const RankCpus*>> by_node;
  for (const RankCpus& r : ranks) by_node[r.node].push_back(&r);
  for (const auto& [node, on_node] : by_node) {
    const std::string line = stacked_ranks(node, on_node, openmp_binds);
    if (!line.empty()) return line;
  }
  // With OpenMP binding, the training thread is bound to its first core by design.
  if (openmp_binds) return "";
  for (std::size_t rank = 0; rank < ranks.size(); ++rank) {
    const RankCpus& r = ranks[rank];
    if (static_cast<int>(r.cpus.size()) >= threads) continue;
    const std::string t = std::to_string(threads);
    return "rank " + std::to_string(rank) + " on " + r.node + " may run on " +
           plural(r.cpus.size(), "CPU") + " (" + cpu_list_text(r.cpus) + ") but has " + t +
           " threads: expect epochs several times slower. Give each rank " + t +
           " cores (srun --cpus-per-task=" + t + ", or SRUN_CPUS_PER_TASK=" + t +
           " since Slurm 22.05; mpirun --map-by slot:PE=" + t + ") or use --threads " +
           std::to_string(std::max<std::size_t>(1, r.cpus.size()));
  }
  return "";
}

}  // namespace dptrain
