// Between two steps, every rank must take the same decision: go on, checkpoint, or checkpoint
// and stop (a stop signal arrived on some rank, or a time-based checkpoint fell due on rank
// 0's clock). A small reduction makes the decision common. It synchronises all ranks, so it
// is taken about every kSecondsBetweenAgreements rather than after every step: a step of the
// quickstart MLP takes ~3 ms on a CPU core and ~0.1 ms replayed on a GPU, where a collective
// of its own per step would cost more than the step's averaging.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "dptrain/checkpoint/checkpoint_schedule.h"
#include "dptrain/comm/communicator.h"

namespace dptrain {

// In increasing precedence: the ranks take the largest any of them wants.
enum class StepDecision { proceed = 0, checkpoint = 1, checkpoint_and_stop = 2, fail = 3 };

class RunControl {
 public:
  // A stop signal is honoured, and a time-based checkpoint written, within about this long.
  static constexpr double kSecondsBetweenAgreements = 0.05;

  // `checkpointing`: whether checkpoints are written at all (a stop is honoured either way).
  RunControl(Communicator& comm, bool checkpointing, CheckpointEvery every);

  // A resumed job had run `job_steps` steps before this run: counting goes on from there.
  void continue_job(std::int64_t job_steps);

  // Collective: call after every step with the steps the job has run in all (the same on
  // every rank). Step-based checkpoints fall on their exact steps, also after a resume.
  // `failed`: this rank has failed (a diverged loss) and asks all to stop, at the next agreement.
  StepDecision after_step(std::int64_t steps_done, bool failed = false);

  // Whether an epoch-based checkpoint is due after `epochs_done` epochs. Same on all ranks.
  bool checkpoint_due_after_epoch(int epochs_done) const;

  // A checkpoint was just written: restarts the clock of time-based checkpoints.
  void checkpoint_written();

  // After a checkpoint_and_stop: the signal that asked for it, on whichever rank it arrived.
  int stop_signal() const { return stop_signal_; }

 private:
  StepDecision agree(std::int64_t steps_done, bool failed);
  StepDecision scheduled_by_steps(std::int64_t steps_done) const;

  Communicator& comm_;
  bool checkpointing_;
  CheckpointEvery every_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::int64_t next_agreement_ = 1;  // steps done at which the ranks agree next
  std::int64_t last_agreement_ = 0;
  std::chrono::steady_clock::time_point last_agreement_time_;
  int stop_signal_ = 0;
};

}  // namespace dptrain
