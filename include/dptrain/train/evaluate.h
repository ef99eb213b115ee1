// Test-set evaluation, sharded like training: each rank scores its slice, sums are reduced.
#pragma once

#include <torch/torch.h>

#include "dptrain/comm/communicator.h"
#include "dptrain/data/hdf5_dataset.h"

namespace dptrain {

struct Evaluation {
  double loss = 0.0;       // mean cross-entropy per sample over all ranks' shards
  double accuracy = 0.0;   // correct / samples
  std::int64_t samples = 0;
};

Evaluation evaluate(torch::nn::Sequential& model, const Shard& shard, Communicator& comm);

}  // namespace dptrain
