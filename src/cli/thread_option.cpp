#include "thread_option.h"

#include "dptrain/config/config.h"
#include "dptrain/train/threads.h"

namespace dptrain {

CLI::Option* add_threads_option(CLI::App& cmd, int& threads, const std::string& what) {
  threads = default_thread_count();
  return cmd
      .add_option("--threads", threads,
                  what + " (default: SLURM_CPUS_PER_TASK, then OMP_NUM_THREADS, then 1)")
      ->capture_default_str();
}

void check_threads(const CLI::Option& option, int threads) {
  validate_threads(threads, option.count() > 0 ? "" : default_thread_source());
}

}  // namespace dptrain
