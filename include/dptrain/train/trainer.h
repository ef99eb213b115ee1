// The training loop: data → model replica → gradient averaging → optimizer, epoch by epoch.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "dptrain/comm/communicator.h"
#include "dptrain/comm/gradient_sync.h"
#include "dptrain/config/config.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/metrics/metrics.h"
#include "dptrain/train/batcher.h"

namespace dptrain {

class Trainer {
 public:
  // `train_samples` is the size of the whole training split (all shards together); every
  // rank derives the step count and global batch sizes from it without communicating.
  Trainer(const TrainConfig& config, Communicator& comm, const Shard& train,
          std::int64_t train_samples, const Shard& test);

  // Trains for config.epochs; `reporter` (rank 0 only, else null) receives the metrics.
  RunSummary run(MetricsReporter* reporter);

  // One optimizer step on this rank's batch of `step`; returns the batch's summed loss.
  double train_step(int epoch, std::int64_t step);

  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  torch::nn::Sequential& model() { return model_; }
  const GradientSync& gradient_sync() const { return *sync_; }
  std::vector<torch::Tensor> parameters() const { return model_->parameters(); }

 private:
  EpochMetrics train_epoch(int epoch);
  PhaseReport gather_phases();

  const TrainConfig config_;
  Communicator& comm_;
  const Shard& test_;
  std::int64_t train_samples_;
  std::int64_t steps_per_epoch_;
  torch::nn::Sequential model_;
  Batcher batcher_;
  std::unique_ptr<GradientSync> sync_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
  PhaseSeconds phases_;  // this rank, current epoch
};

// Writes the model's parameters to `path` atomically (temporary file, then rename).
void save_model(torch::nn::Sequential& model, const std::string& path);

}  // namespace dptrain
