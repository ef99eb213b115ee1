// How a split is divided among ranks and an epoch into steps.
//
// Policy: the N samples are cut into contiguous shards whose sizes differ by at most one, so
// every sample belongs to exactly one rank. Every rank runs ceil(largest shard / batch) steps
// per epoch; a rank whose shard runs out first takes a smaller (possibly empty) last batch.
// Gradients are weighted by samples, so each step equals one step on the union of the ranks'
// batches and no sample is dropped or repeated.
#pragma once

#include <cstdint>

namespace dptrain {

struct ShardRange {
  std::int64_t begin = 0;
  std::int64_t count = 0;
};

ShardRange shard_range(std::int64_t samples, int rank, int ranks);

std::int64_t steps_per_epoch(std::int64_t samples, int ranks, std::int64_t batch);

// The samples of shard-local positions a rank uses at `step` (count may be 0).
ShardRange batch_range(std::int64_t shard_count, std::int64_t step, std::int64_t batch);

// Samples that all ranks together train on at `step`: the global batch of that step.
std::int64_t global_batch_samples(std::int64_t samples, int ranks, std::int64_t batch,
                                  std::int64_t step);

}  // namespace dptrain
