#include "dptrain/train/run_control.h"

#include <cmath>

#include "dptrain/train/stop_signals.h"

namespace dptrain {

RunControl::RunControl(Communicator& comm, bool checkpointing, CheckpointEvery every)
    : comm_(comm),
      checkpointing_(checkpointing),
      every_(every),
      last_checkpoint_(std::chrono::steady_clock::now()) {}

StepDecision RunControl::after_step(std::int64_t steps_done) {
  int wanted = static_cast<int>(StepDecision::proceed);
  if (checkpointing_ && every_.unit == CheckpointEvery::Unit::seconds && comm_.rank() == 0) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint_).count();
    if (elapsed >= every_.amount) wanted = static_cast<int>(StepDecision::checkpoint);
  }
  if (stop_signal() != 0) wanted = static_cast<int>(StepDecision::checkpoint_and_stop);
  wanted = comm_.allreduce_max(wanted);
  if (wanted == 0 && checkpointing_ && every_.unit == CheckpointEvery::Unit::steps) {
    const auto period = static_cast<std::int64_t>(std::llround(every_.amount));
    if (period > 0 && steps_done % period == 0) wanted = static_cast<int>(StepDecision::checkpoint);
  }
  return static_cast<StepDecision>(wanted);
}

bool RunControl::checkpoint_due_after_epoch(int epochs_done) const {
  if (!checkpointing_ || every_.unit != CheckpointEvery::Unit::epochs) return false;
  const auto period = std::max<long long>(1, std::llround(every_.amount));
  return epochs_done % period == 0;
}

void RunControl::checkpoint_written() { last_checkpoint_ = std::chrono::steady_clock::now(); }

}  // namespace dptrain
