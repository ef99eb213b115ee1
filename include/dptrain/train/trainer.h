// The training loop: data → model replica → gradient averaging → optimizer, epoch by epoch.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "dptrain/checkpoint/checkpointer.h"
#include "dptrain/comm/communicator.h"
#include "dptrain/comm/gradient_sync.h"
#include "dptrain/config/config.h"
#include "dptrain/data/epoch_plan.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/gpu/cuda_training.h"
#include "dptrain/metrics/metrics.h"
#include "dptrain/train/batcher.h"
#include "dptrain/train/run_control.h"

namespace dptrain {

class PhaseClock;

class Trainer {
 public:
  // `train_samples` is the size of the whole training split (all shards together); every
  // rank derives the step count and global batch sizes from it without communicating.
  Trainer(const TrainConfig& config, Communicator& comm, const Shard& train,
          std::int64_t train_samples, const Shard& test);

  // Trains until config.epochs are done or a stop signal arrives (then summary.stopped, and
  // no summary is reported: the run is not over); `reporter` (rank 0 only, else null)
  // receives the metrics. With config.checkpoint_dir, writes checkpoints as
  // config.checkpoint_every says, and on a stop.
  RunSummary run(MetricsReporter* reporter);

  // Loads a checkpoint and continues from its position. With another number of ranks than
  // the checkpoint's, these ranks train what the interrupted epoch has left (EpochPlan).
  // Throws if the checkpoint does not match this run. Returns a note for the log.
  std::string resume(const std::string& path);

  TrainingPosition position() const { return position_; }
  // Whether config.epochs are done already: a checkpoint of a finished run was resumed.
  bool finished() const { return position_.epoch >= config_.epochs; }
  // Path of the last checkpoint written (rank 0), empty if none.
  const std::string& last_checkpoint() const { return last_checkpoint_; }

  // One optimizer step on this rank's batch of `step` (on a GPU: queued, not waited for).
  void train_step(int epoch, std::int64_t step);

  torch::Device device() const { return device_; }
  // Whether full steps are replayed as a CUDA graph.
  bool uses_graphs() const { return graph_ != nullptr; }
  // Runs full steps through `graph` from now on (the constructor does this with a CUDA graph
  // where --cuda-graphs allows; tests drive the logic on the CPU with a stand-in).
  void replay_steps_with(std::unique_ptr<StepGraph> graph);
  // Steps run as a replayed CUDA graph since the trainer was made.
  std::int64_t graph_steps() const { return graph_steps_; }
  // Steps of a whole epoch on these ranks (an epoch resumed from another layout has fewer).
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  torch::nn::Sequential& model() { return model_; }
  // Null on a single rank, which has no gradients to sum.
  const GradientSync* gradient_sync() const { return sync_.get(); }
  std::vector<torch::Tensor> parameters() const { return model_->parameters(); }

 private:
  // Runs the rest of `epoch`; false if a stop was agreed before its end. `reporter` (rank 0
  // only) hears of every step, from this rank's numbers alone.
  bool train_epoch(int epoch, EpochMetrics& metrics, MetricsReporter* reporter);
  EpochMetrics finish_epoch(int epoch, double loss_sum, double samples, double seconds);
  PhaseReport gather_phases();
  void save_checkpoint();
  // A checkpoint within an epoch: its seconds (writing, and the other ranks waiting for it),
  // which are not the epoch's training time.
  double save_checkpoint_within_epoch();
  bool parameters_finite() const;
  // Throws unless the layouts a checkpoint records fit this run's data and batch.
  void check_layouts(const CheckpointInfo& info, const std::string& path) const;
  // Throws if a checkpoint is past the end of --epochs.
  void refuse_if_past_epochs(const CheckpointInfo& info, const std::string& path) const;
  void hang_if_asked(std::int64_t steps_done) const;
  // Queues one step on this rank's batch: zero gradients, forward, backward weighted by
  // `weight`, averaging, an update at rate `lr`. Adds the summed loss to epoch_loss_.
  void compute_step(const RawBatch& batch, double weight, double lr, PhaseSeconds& phases,
                    PhaseClock& clock);
  void update_parameters(double lr);
  // Runs a step whose batches are full on every rank through the CUDA graph: warm-up steps
  // first, then one capture, then replays.
  void graph_step(const RawBatch& batch, double weight, double lr);
  bool graph_usable(std::int64_t local_samples, std::int64_t global_samples, double progress,
                    double lr) const;
  // Reads the epoch's loss back from the device and returns the sum; NaN or infinity is noted
  // in failure_.
  double checked_epoch_loss(int epoch, std::int64_t step);

  const TrainConfig config_;
  Communicator& comm_;
  std::int64_t train_samples_;
  std::int64_t steps_per_epoch_;  // of a whole epoch on these ranks
  // The current epoch's samples, and the segments of it that other layouts trained before
  // (after resuming a checkpoint of another number of ranks; empty otherwise).
  EpochPlan plan_;
  std::vector<EpochSegment> earlier_segments_;
  torch::Device device_;
  std::unique_ptr<TrainingStream> stream_;  // before everything that queues GPU work
  torch::nn::Sequential model_;
  std::vector<torch::Tensor> parameters_;  // the model's, on the device
  Batcher batcher_;
  Batcher test_batches_;  // on the training device, made once
  std::unique_ptr<GradientSync> sync_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
  PhaseSeconds phases_;  // this rank, current epoch
  TrainingPosition position_;     // the next step to run
  std::int64_t steps_done_ = 0;   // by the job, over all its runs (CheckpointInfo::job_steps)
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<RunControl> control_;
  bool stop_agreed_ = false;  // the ranks agreed to stop (at an epoch's last step: after it)
  // A checkpoint fell due at an epoch's last step: written once the epoch is recorded.
  bool checkpoint_after_record_ = false;
  std::string last_checkpoint_;
  TrainingPosition last_checkpoint_position_{-1, -1};
  torch::Tensor epoch_loss_;  // of the epoch so far, on the device
  // This rank's first divergence (a non-finite loss), until the ranks agree to stop on it.
  std::string failure_;
  std::int64_t loss_check_every_ = 1;  // steps between reading the loss back (a GPU waits then)
  // CUDA graph of a full step (null when not used) and its inputs, which outlive it.
  std::unique_ptr<StepGraph> graph_;
  torch::Tensor graph_images_;
  torch::Tensor graph_labels_;
  int graph_warm_ups_ = 0;
  bool graph_captured_ = false;
  double graph_lr_ = 0.0;
  std::int64_t graph_steps_ = 0;
};

// Writes the model's parameters to `path` atomically (temporary file, then rename), as CPU
// tensors wherever the model lives, so that any build of dptrain can read them.
void save_model(torch::nn::Sequential& model, const std::string& path);

}  // namespace dptrain
