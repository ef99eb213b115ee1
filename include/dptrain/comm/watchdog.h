// No silent hangs: a thread that watches the collective this rank is in.
//
// Every collective is numbered. When one has waited longer than the timeout, the watchdog
// prints which collective, at which epoch and step, and which ranks of this node have not
// reached it yet (their numbers are behind, read from node-shared memory), then aborts the
// whole job. A rank stuck outside any collective is exactly the rank the others name. Where
// every rank of the node has arrived, the late rank is on another node: the watchdog waits a
// few seconds more, so that the late rank's node, which can name it, reports first. In a job
// on one node, that means a rank is stuck inside the collective, and it says so at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace dptrain {

class CollectiveWatchdog {
 public:
  // `other_nodes`: the job has ranks on other nodes. `laggards(sequence)` names the ranks of
  // this node that have not yet entered collective `sequence`; `abort_job()` ends the job
  // (MPI_Abort) and does not return.
  CollectiveWatchdog(double timeout_seconds, int rank, bool other_nodes,
                     std::function<std::string(std::int64_t)> laggards,
                     std::function<void()> abort_job);
  ~CollectiveWatchdog();
  CollectiveWatchdog(const CollectiveWatchdog&) = delete;
  CollectiveWatchdog& operator=(const CollectiveWatchdog&) = delete;

  // Returns the collective's sequence number.
  std::int64_t enter(const char* what);
  void leave();
  void set_position(int epoch, std::int64_t step);

 private:
  void watch();
  std::string describe(const char* what, double waited, const std::string& missing) const;

  const double timeout_;
  const int rank_;
  const bool other_nodes_;
  std::function<std::string(std::int64_t)> laggards_;
  std::function<void()> abort_job_;
  std::atomic<const char*> what_{nullptr};   // null when not in a collective
  std::atomic<std::int64_t> sequence_{0};
  std::atomic<std::int64_t> entered_ns_{0};
  std::atomic<int> epoch_{-1};
  std::atomic<std::int64_t> step_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dptrain
