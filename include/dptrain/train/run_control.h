// Between two steps, every rank must take the same decision: go on, checkpoint, or checkpoint
// and stop (a stop signal arrived on some rank, or a time-based checkpoint fell due on rank
// 0's clock). One small MAX reduction per step makes the decision common.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "dptrain/checkpoint/checkpoint_schedule.h"
#include "dptrain/comm/communicator.h"

namespace dptrain {

enum class StepDecision { proceed = 0, checkpoint = 1, checkpoint_and_stop = 2 };

class RunControl {
 public:
  // `checkpointing`: whether checkpoints are written at all (a stop is honoured either way).
  RunControl(Communicator& comm, bool checkpointing, CheckpointEvery every);

  // Collective: call after every step with the number of steps done since the run started.
  StepDecision after_step(std::int64_t steps_done);

  // Whether an epoch-based checkpoint is due after `epochs_done` epochs. Same on all ranks.
  bool checkpoint_due_after_epoch(int epochs_done) const;

  // A checkpoint was just written: restarts the clock of time-based checkpoints.
  void checkpoint_written();

 private:
  Communicator& comm_;
  bool checkpointing_;
  CheckpointEvery every_;
  std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace dptrain
