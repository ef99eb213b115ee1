// The trainer's checkpoints: resuming from one, after checking it is of this run and of
// layouts this data could have had, and writing them where RunControl decides.
#include "dptrain/train/trainer.h"

#include <chrono>
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
  refuse_if_past_epochs(info, path);
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

void Trainer::refuse_if_past_epochs(const CheckpointInfo& info, const std::string& path) const {
  // The end of the last epoch is a finished run (nothing to train); beyond it, the model has
  // trained more than --epochs asks for, and saving it as this run's result would be wrong.
  const int epoch = info.position.epoch;
  const std::int64_t step = info.steps_into_epoch();
  if (epoch < config_.epochs || (epoch == config_.epochs && step == 0)) return;
  const std::string where = step > 0 ? "epoch " + std::to_string(epoch + 1) + " step " + std::to_string(step)
                                     : "the end of epoch " + std::to_string(epoch);
  throw Error(path + ": checkpoint is at " + where + ", past --epochs " + std::to_string(config_.epochs) +
              " (give --epochs " + std::to_string(step > 0 ? epoch + 1 : epoch) + " or more to continue it)");
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

bool Trainer::parameters_finite() const {
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& p : parameters_) {
    if (!torch::isfinite(p).all().item<bool>()) return false;
  }
  return true;
}

double Trainer::save_checkpoint_within_epoch() {
  const auto start = std::chrono::steady_clock::now();
  save_checkpoint();
  comm_.barrier();  // the other ranks wait for rank 0's write here, not in the next step's sums
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Trainer::save_checkpoint() {
  // Not the parameters of a diverged step: --resume would start from them, and eval score
  // them. Nor those the last update made non-finite: the loss read before that update was
  // finite, and the next step's loss (or the epoch's test loss) reports the divergence.
  if (comm_.rank() == 0 && failure_.empty() && parameters_finite()) {
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
