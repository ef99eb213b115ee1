// Saving and finding training checkpoints in a directory.
//
// Files are named ckpt-e<epoch>-s<step>.dpt after the position training resumes from (the step
// counted over all segments of the epoch, so that names sort in training order); rank 0
// writes them atomically (checkpoint_file.h) and keeps the newest `keep` up to the one it
// wrote. Loading takes the newest file that passes its checksum; a damaged one is reported and
// skipped, never used.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>

#include "dptrain/checkpoint/checkpoint_file.h"
#include "dptrain/data/epoch_plan.h"

namespace dptrain {

// Where training stands: the next step to run.
struct TrainingPosition {
  int epoch = 0;
  std::int64_t step = 0;
  bool operator==(const TrainingPosition& o) const { return epoch == o.epoch && step == o.step; }
};

struct CheckpointInfo {
  TrainingPosition position;  // the step within the segment the writing ranks trained
  int ranks = 1;
  std::string fingerprint;  // the configuration a resumed run must match (key=value lines)
  // Segments of the position's epoch that other layouts trained before (EpochPlan).
  std::vector<EpochSegment> earlier_segments;
  // Steps the job has run in all, over every run of it and whatever their layouts: what
  // --checkpoint-every Nsteps counts, so that a resumed run keeps the schedule (0 in
  // checkpoints from before it was recorded).
  std::int64_t job_steps = 0;

  // Steps into the epoch over all its segments: what orders checkpoints within an epoch.
  std::int64_t steps_into_epoch() const;
};

class Checkpointer {
 public:
  Checkpointer(std::string dir, int keep);

  // Writes a checkpoint of `model` and `optimizer`; returns its path. Call on one rank only.
  std::string save(torch::nn::Sequential& model, torch::optim::Optimizer& optimizer,
                   const CheckpointInfo& info);

  // The newest checkpoint that is intact, if any. Damaged newer ones are named in `warnings`
  // ("skipped damaged checkpoint(s): ..."), left empty when there are none.
  std::optional<std::string> newest_valid(std::string* warnings) const;

  // The newest checkpoint file, intact or not: a fresh run must not mix its files with these.
  std::optional<std::string> newest_file() const;

  const std::string& dir() const { return dir_; }

 private:
  // Keeps the `keep` newest files up to the position just written; later ones are left alone.
  void prune(const TrainingPosition& written) const;

  std::string dir_;
  int keep_;
};

// A checkpoint read whole and checked (checksum, header), its tensors not loaded yet: a resumed
// run compares the configuration it records with its own before anything is overwritten.
struct CheckpointContents {
  std::string path;
  CheckpointInfo info;
  std::vector<std::uint8_t> payload;
};

// Throws dptrain::Error naming `path` for a damaged file.
CheckpointContents read_checkpoint(const std::string& path);

// Loads the parameters, the optimizer state and the CPU random state of `checkpoint`; throws
// dptrain::Error if they do not fit `model`.
void restore_checkpoint(const CheckpointContents& checkpoint, torch::nn::Sequential& model,
                        torch::optim::Optimizer& optimizer);

// Only the header: what a checkpoint holds, without loading it.
CheckpointInfo read_checkpoint_info(const std::string& path);

}  // namespace dptrain
