#include "dptrain/comm/fail_together.h"

#include <unistd.h>

#include <iostream>

#include "dptrain/metrics/progress.h"

namespace dptrain {

void fail_together(Communicator& comm, const std::string& local_failure) {
  const bool failed = !local_failure.empty();
  const int first_failing = comm.allreduce_min(failed ? comm.rank() : comm.size());
  if (first_failing == comm.size()) return;
  if (comm.rank() == first_failing) {
    // Name the rank only when it matters: a failure seen by some ranks and not by others.
    const bool all_failed = comm.allreduce_min(failed ? 1 : 0) == 1;
    const std::string where =
        all_failed || comm.size() == 1 ? "" : "rank " + std::to_string(comm.rank()) + ": ";
    print_error_line(where + local_failure);
  } else {
    comm.allreduce_min(failed ? 1 : 0);
  }
  throw ReportedFailure();
}

void print_error_line(const std::string& message) {
  const std::string line = "dptrain: error: " + message + "\n";
  end_progress_bar();  // on a line of its own, not after the bar
  std::cout.flush();  // what the rank printed before comes first
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace dptrain
