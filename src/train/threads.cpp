#include "dptrain/train/threads.h"

#include <dlfcn.h>
#include <unistd.h>
#include <torch/torch.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

namespace dptrain {
namespace {

int positive_from_env(const char* name) {
  const char* text = std::getenv(name);
  if (!text) return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  // A whole number, or the first of OpenMP's list for nested levels ("4,2"); not "1e3" as 1.
  if (end == text || (*end != '\0' && *end != ',') || value <= 0) return 0;
  return static_cast<int>(std::min<long>(value, INT_MAX));  // past any limit: refused as it is
}

// OpenBLAS (pulled in by LibTorch through libblas.so.3) keeps its own thread pool; look its
// setter up at run time so dptrain also runs on a BLAS that has none.
void set_blas_threads(int threads) {
  using Setter = void (*)(int);
  for (const char* name : {"openblas_set_num_threads", "goto_set_num_threads"}) {
    if (auto setter = reinterpret_cast<Setter>(dlsym(RTLD_DEFAULT, name))) {
      setter(threads);
      return;
    }
  }
}

}  // namespace

int default_thread_count() {
  if (int n = positive_from_env("SLURM_CPUS_PER_TASK")) return n;
  if (int n = positive_from_env("OMP_NUM_THREADS")) return n;
  return 1;
}

std::string default_thread_source() {
  for (const char* name : {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"}) {
    if (positive_from_env(name)) return std::string(name) + "=" + std::getenv(name);
  }
  return "";
}

int node_core_count() {
  // A job that shares a node (a GPU job with a quarter of its cores) gets only part of it.
  if (int n = positive_from_env("SLURM_CPUS_ON_NODE")) return n;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? static_cast<int>(cores) : 1;
}

std::string oversubscription_warning(int ranks_on_node, int threads, int cores) {
  if (static_cast<long>(ranks_on_node) * threads <= cores) return "";
  const int fitting = std::max(1, cores / std::max(1, ranks_on_node));
  return std::to_string(ranks_on_node) + " ranks x " + std::to_string(threads) +
         " threads on a node with " + std::to_string(cores) +
         " cores: oversubscribed, expect epochs several times slower (use --threads " +
         std::to_string(fitting) + ")";
}

void set_thread_count(int threads) {
  // Child libraries read these when they start their pools; set them first.
  const std::string text = std::to_string(threads);
  setenv("OMP_NUM_THREADS", text.c_str(), 1);
  setenv("OPENBLAS_NUM_THREADS", text.c_str(), 1);
  torch::set_num_threads(threads);
  // The inter-op pool can be sized only before its first use; later calls would throw.
  static bool interop_set = false;
  if (!interop_set) {
    torch::set_num_interop_threads(threads);
    interop_set = true;
  }
  set_blas_threads(threads);
}

}  // namespace dptrain
