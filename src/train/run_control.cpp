#include "dptrain/train/run_control.h"

#include <algorithm>
#include <cmath>

#include "dptrain/train/stop_signals.h"

namespace dptrain {
namespace {

// However fast the steps, the ranks still agree this often: bounds the steps a stop waits for
// when step times change (a slow first steps, a fast rest, or the reverse).
constexpr std::int64_t kMaxStepsBetweenAgreements = 1000;

// Signal numbers are below this (Linux: 1..64).
constexpr int kSignalRange = 256;

double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

RunControl::RunControl(Communicator& comm, bool checkpointing, CheckpointEvery every)
    : comm_(comm),
      checkpointing_(checkpointing),
      every_(every),
      last_checkpoint_(std::chrono::steady_clock::now()),
      last_agreement_time_(last_checkpoint_) {}

void RunControl::continue_job(std::int64_t job_steps) {
  next_agreement_ = job_steps + 1;
  last_agreement_ = job_steps;
}

StepDecision RunControl::after_step(std::int64_t steps_done, bool failed) {
  if (steps_done >= next_agreement_) {
    const StepDecision agreed = agree(steps_done, failed);
    if (agreed != StepDecision::proceed) return agreed;
  }
  return scheduled_by_steps(steps_done);
}

StepDecision RunControl::agree(std::int64_t steps_done, bool failed) {
  const auto now = std::chrono::steady_clock::now();
  int wanted = static_cast<int>(StepDecision::proceed);
  if (checkpointing_ && every_.unit == CheckpointEvery::Unit::seconds && comm_.rank() == 0 &&
      seconds_between(last_checkpoint_, now) >= every_.amount) {
    wanted = static_cast<int>(StepDecision::checkpoint);
  }
  const int signal = dptrain::stop_signal();  // read once: it may arrive meanwhile
  if (signal != 0) wanted = static_cast<int>(StepDecision::checkpoint_and_stop);
  if (failed) wanted = static_cast<int>(StepDecision::fail);
  // The signal rides along below the decision, so that every rank can name it, also when it
  // reached another rank only (scancel --signal to one task, a node's own TERM).
  const bool stopping = wanted == static_cast<int>(StepDecision::checkpoint_and_stop);
  const int agreed = comm_.allreduce_max(wanted * kSignalRange + (stopping ? signal : 0));
  wanted = agreed / kSignalRange;
  if (wanted == static_cast<int>(StepDecision::checkpoint_and_stop)) stop_signal_ = agreed % kSignalRange;
  // Each rank proposes how many steps make kSecondsBetweenAgreements on its own clock; the
  // smallest proposal holds for all, so the slowest rank sets the pace.
  const double step_seconds = seconds_between(last_agreement_time_, now) /
                              static_cast<double>(steps_done - last_agreement_);
  const double steps = step_seconds > 0 ? kSecondsBetweenAgreements / step_seconds : 1.0;
  const int proposal = static_cast<int>(std::clamp<double>(std::floor(steps), 1.0,
                                                           kMaxStepsBetweenAgreements));
  next_agreement_ = steps_done + comm_.allreduce_min(proposal);
  last_agreement_ = steps_done;
  last_agreement_time_ = now;
  return static_cast<StepDecision>(wanted);
}

StepDecision RunControl::scheduled_by_steps(std::int64_t steps_done) const {
  if (!checkpointing_ || every_.unit != CheckpointEvery::Unit::steps) return StepDecision::proceed;
  const auto period = static_cast<std::int64_t>(std::llround(every_.amount));
  return period > 0 && steps_done % period == 0 ? StepDecision::checkpoint : StepDecision::proceed;
}

bool RunControl::checkpoint_due_after_epoch(int epochs_done) const {
  const auto period = std::max<long long>(1, std::llround(every_.amount));
  return checkpointing_ && every_.unit == CheckpointEvery::Unit::epochs &&
         epochs_done % period == 0;
}

void RunControl::checkpoint_written() { last_checkpoint_ = std::chrono::steady_clock::now(); }

}  // namespace dptrain
