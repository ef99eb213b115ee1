// The reference for data-parallel gradients: what one process computes on the union of every
// rank's batch of a step, from the same parameters. Averaging is right when the ranks' reduced
// gradient equals it.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "dptrain/config/config.h"
#include "dptrain/data/shard.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/batcher.h"
#include "synthetic.h"

namespace dptrain::testing {

// Every tensor flattened into one, on the CPU, for comparisons.
inline torch::Tensor flat_cpu(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> parts;
  for (const auto& t : tensors) parts.push_back(t.detach().reshape({-1}).cpu());
  return torch::cat(parts).contiguous();
}

inline std::vector<torch::Tensor> gradients(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) grads.push_back(p.grad());
  return grads;
}

// The flat gradient of config.model at `parameters` (anywhere) over the batches of `step` of
// all `ranks` synthetic shards of `samples` samples, computed on the CPU.
inline torch::Tensor union_gradient(const TrainConfig& config, const std::vector<torch::Tensor>& parameters,
                                    std::int64_t samples, int ranks, std::int64_t step) {
  torch::nn::Sequential reference = make_model(config.model);
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor now = flat_cpu(parameters);
    std::int64_t offset = 0;
    for (auto& p : reference->parameters()) {
      p.copy_(now.narrow(0, offset, p.numel()).view(p.sizes()));
      offset += p.numel();
    }
  }
  std::vector<torch::Tensor> images, labels;
  for (int r = 0; r < ranks; ++r) {
    const ShardRange shard = shard_range(samples, r, ranks);
    const ShardRange batch = batch_range(shard.count, step, config.batch_size);
    const Batch b = Batcher(synthetic_shard({shard.begin + batch.begin, batch.count}), config.batch_size).batch(0);
    images.push_back(b.images);
    labels.push_back(b.labels);
  }
  torch::nn::functional::cross_entropy(reference->forward(torch::cat(images)), torch::cat(labels)).backward();
  return flat_cpu(gradients(reference->parameters()));
}

}  // namespace dptrain::testing
