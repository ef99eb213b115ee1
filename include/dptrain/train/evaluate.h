// Test-set evaluation, sharded like training: each rank scores its slice, sums are reduced.
#pragma once

#include <torch/torch.h>

#include "dptrain/comm/communicator.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/train/batcher.h"

namespace dptrain {

struct Evaluation {
  double loss = 0.0;       // mean cross-entropy per sample over all ranks' shards
  double accuracy = 0.0;   // correct / samples
  std::int64_t samples = 0;
};

// Batches of a test shard, in file order, on `device`: made once and kept, since on a GPU
// making them copies the shard there.
Batcher test_batches(const Shard& shard, torch::Device device);

Evaluation evaluate(torch::nn::Sequential& model, const Batcher& test, Communicator& comm);

}  // namespace dptrain
