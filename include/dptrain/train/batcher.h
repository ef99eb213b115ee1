// Turns a rank's in-memory uint8 shard into training batches: one slice (or gather, when
// shuffled) and one conversion to float per batch, no per-sample work. On a GPU the shard is
// copied to it once, and batches are sliced and converted there.
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

// A batch as stored: uint8 images [n,1,28,28] and int64 labels [n], views where possible.
struct RawBatch {
  torch::Tensor images;
  torch::Tensor labels;
};

class Batcher {
 public:
  // On the CPU the batcher reads `shard`'s memory, which must outlive it; on another device it
  // holds its own copy there.
  Batcher(const Shard& shard, std::int64_t batch_size, torch::Device device = torch::kCPU);

  // Visits the whole shard in an epoch's order (see epoch_order).
  void start_epoch(bool shuffle, std::uint64_t seed, int epoch);
  // Visits the shard-local positions `order`, in that order (EpochPlan::order).
  void start_epoch(const std::vector<std::int64_t>& order);

  // The batch a rank trains on at `step`; empty once the epoch's samples are exhausted.
  Batch batch(std::int64_t step) const;
  // The same batch before conversion.
  RawBatch raw_batch(std::int64_t step) const;

  std::int64_t shard_size() const { return images_.size(0); }
  // Samples visited this epoch.
  std::int64_t epoch_size() const { return epoch_size_; }

  // Float images scaled to 0..1, like torchvision's ToTensor.
  static Batch convert(const RawBatch& raw);

 private:
  torch::Tensor images_;  // uint8 [n,1,28,28], a view of the shard
  torch::Tensor labels_;  // int64 [n]
  torch::Tensor order_;   // int64 positions, or undefined for the whole shard in file order
  std::int64_t epoch_size_;
  std::int64_t batch_size_;
  std::int64_t shard_begin_;
};

}  // namespace dptrain
