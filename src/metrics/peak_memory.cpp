#include "dptrain/metrics/peak_memory.h"

#include <sys/resource.h>

#include <vector>

namespace dptrain {

Spread gather_peak_rss_mb(Communicator& comm) {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double mine = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
  std::vector<double> all(static_cast<std::size_t>(comm.size()));
  comm.allgather(&mine, 1, all.data());
  return spread_of(all);
}

}  // namespace dptrain
