#include "dptrain/comm/watchdog.h"

#include <chrono>
#include <cstdio>

#include "dptrain/comm/fail_together.h"

namespace dptrain {
namespace {

// Where every rank of this node has arrived, the late rank is on another node, whose own
// watchdogs can name it: they get this head start to report it and end the job first.
constexpr double kHeadStartForTheLateRanksNode = 5.0;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CollectiveWatchdog::CollectiveWatchdog(double timeout_seconds, int rank, bool other_nodes,
                                       std::function<std::string(std::int64_t)> laggards,
                                       std::function<void()> abort_job)
    : timeout_(timeout_seconds),
      rank_(rank),
      other_nodes_(other_nodes),
      laggards_(std::move(laggards)),
      abort_job_(std::move(abort_job)),
      thread_([this] { watch(); }) {}

CollectiveWatchdog::~CollectiveWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::int64_t CollectiveWatchdog::enter(const char* what) {
  const std::int64_t sequence = sequence_.fetch_add(1) + 1;
  entered_ns_.store(now_ns());
  what_.store(what);
  return sequence;
}

void CollectiveWatchdog::leave() { what_.store(nullptr); }

void CollectiveWatchdog::set_position(int epoch, std::int64_t step) {
  epoch_.store(epoch);
  step_.store(step);
}

std::string CollectiveWatchdog::describe(const char* what, double waited,
                                         const std::string& missing) const {
  char text[256];
  const int epoch = epoch_.load();
  std::snprintf(text, sizeof text, "rank %d: %s #%lld", rank_, what,
                static_cast<long long>(sequence_.load()));
  std::string message = text;
  if (epoch >= 0) {
    std::snprintf(text, sizeof text, " at epoch %d step %lld", epoch + 1,
                  static_cast<long long>(step_.load()));
    message += text;
  }
  std::snprintf(text, sizeof text, " has waited %.0f s (--collective-timeout %.0f s)", waited, timeout_);
  message += text;
  if (!missing.empty()) {
    message += "; not arrived: " + missing;
  } else if (other_nodes_) {
    message += "; every rank of this node has arrived (a rank on another node is late, or one is "
               "stuck inside the collective)";
  } else {
    // No other node to blame: a rank entered and stopped there (SIGSTOP, a debugger, a
    // stalled transport).
    message += "; every rank has arrived, yet it has not completed (a rank is stuck inside it)";
  }
  return message + "; aborting the job";
}

void CollectiveWatchdog::watch() {
  // Poll a few times per timeout: a hang is reported within 1.25 timeouts.
  const auto period = std::chrono::duration<double>(std::min(1.0, timeout_ / 4));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    const char* what = what_.load();
    if (!what) continue;
    const double waited = (now_ns() - entered_ns_.load()) * 1e-9;
    if (waited < timeout_) continue;
    const std::string missing = laggards_(sequence_.load());
    if (missing.empty() && other_nodes_ && waited < timeout_ + kHeadStartForTheLateRanksNode) continue;
    print_error_line(describe(what, waited, missing));  // other ranks' may report at once
    abort_job_();
  }
}

}  // namespace dptrain
