// Turns a rank's in-memory uint8 shard into training batches: one slice (or gather, when
// shuffled) and one conversion to float per batch, no per-sample work.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "dptrain/data/hdf5_dataset.h"

namespace dptrain {

struct Batch {
  torch::Tensor images;  // float [n,1,28,28] scaled to 0..1, like torchvision's ToTensor
  torch::Tensor labels;  // int64 [n]
  std::int64_t size() const { return labels.size(0); }
};

class Batcher {
 public:
  // Keeps a reference to `shard`'s memory: the shard must outlive the batcher.
  Batcher(const Shard& shard, std::int64_t batch_size);

  // Sets the visiting order for an epoch (see epoch_order).
  void start_epoch(bool shuffle, std::uint64_t seed, int epoch);

  // The batch a rank trains on at `step`; empty once the shard is exhausted.
  Batch batch(std::int64_t step) const;

  std::int64_t shard_size() const { return images_.size(0); }

 private:
  Batch convert(const torch::Tensor& images, const torch::Tensor& labels) const;

  torch::Tensor images_;  // uint8 [n,1,28,28], a view of the shard
  torch::Tensor labels_;  // int64 [n]
  torch::Tensor order_;   // int64 positions, or undefined for file order
  std::int64_t batch_size_;
  std::int64_t shard_begin_;
};

}  // namespace dptrain
