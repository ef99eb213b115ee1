// The trainer's checkpoints: resuming from one, after checking it is of this run and of
// layouts this data could have had, and writing them where RunControl decides.
#include "dptrain/train/trainer.h"

#include <string>
#include <vector>

#include "dptrain/checkpoint/checkpointer.h"
#include "dptrain/error.h"
#include "dptrain/train/fingerprint.h"

namespace dptrain {

std::string Trainer::resume(const std::string& path) {
  const CheckpointContents checkpoint = read_checkpoint(path);
  const CheckpointInfo& info = checkpoint.info;
  const auto differences =
      fingerprint_differences(info.fingerprint, training_fingerprint(config_, model_, train_samples_));
  if (!differences.empty()) {
    std::string text;
    for (const auto& d : differences) text += (text.empty() ? "" : "; ") + d;
    throw Error(path + ": checkpoint of a different run (checkpoint vs this run: " + text + ")");
  }
  check_layouts(info, path);
  restore_checkpoint(checkpoint, model_, *optimizer_);
  position_ = info.position;
  earlier_segments_ = info.earlier_segments;
  steps_done_ = info.job_steps;
  control_->continue_job(steps_done_);
  std::string note = "resumed from " + path + " at epoch " + std::to_string(position_.epoch + 1) +
                     " step " + std::to_string(info.steps_into_epoch());
  if (info.ranks != comm_.size() && position_.step > 0) {
    // The shards of the writing ranks are not these ranks' shards: the rest of the epoch is
    // what that layout left, spread over these ranks.
    earlier_segments_.push_back({info.ranks, position_.step});
    position_.step = 0;
    note += " (written by " + std::to_string(info.ranks) + " ranks: these " +
            std::to_string(comm_.size()) + " train the rest of epoch " +
            std::to_string(position_.epoch + 1) + ")";
  }
  return note;
}

void Trainer::check_layouts(const CheckpointInfo& info, const std::string& path) const {
  // A checkpoint passes its checksum whoever wrote it: the layouts it records must still be
  // ones this data could have had, before any is replayed (EpochPlan).
  std::vector<EpochSegment> layouts = info.earlier_segments;
  layouts.push_back({info.ranks, info.position.step});
  for (const EpochSegment& s : layouts) {
    if (s.ranks < 1 || s.ranks > train_samples_ || s.steps < 0 ||
        s.steps > dptrain::steps_per_epoch(train_samples_, s.ranks, config_.batch_size)) {
      throw Error(path + ": checkpoint records an impossible layout of epoch " +
                  std::to_string(info.position.epoch + 1) + " (" + std::to_string(s.ranks) +
                  " ranks, " + std::to_string(s.steps) + " steps, for " +
                  std::to_string(train_samples_) + " samples)");
    }
  }
}

void Trainer::save_checkpoint() {
  // Not the parameters of a diverged step: --resume would start from them.
  if (comm_.rank() == 0 && failure_.empty()) {
    CheckpointInfo info;
    info.position = position_;
    info.ranks = comm_.size();
    info.earlier_segments = earlier_segments_;
    info.job_steps = steps_done_;
    info.fingerprint = training_fingerprint(config_, model_, train_samples_);
    last_checkpoint_ = checkpointer_->save(model_, *optimizer_, info);
  }
  last_checkpoint_position_ = position_;
  control_->checkpoint_written();
}

}  // namespace dptrain
