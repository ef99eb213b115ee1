#include "dptrain/data/shard.h"

#include <algorithm>

namespace dptrain {

ShardRange shard_range(std::int64_t samples, int rank, int ranks) {
  // The first `samples % ranks` ranks take one extra sample.
  const std::int64_t base = samples / ranks;
  const std::int64_t extra = samples % ranks;
  ShardRange range;
  range.begin = rank * base + std::min<std::int64_t>(rank, extra);
  range.count = base + (rank < extra ? 1 : 0);
  return range;
}

std::int64_t steps_per_epoch(std::int64_t samples, int ranks, std::int64_t batch) {
  const std::int64_t largest = shard_range(samples, 0, ranks).count;
  return (largest + batch - 1) / batch;
}

ShardRange batch_range(std::int64_t shard_count, std::int64_t step, std::int64_t batch) {
  ShardRange range;
  range.begin = std::min(step * batch, shard_count);
  range.count = std::min(batch, shard_count - range.begin);
  return range;
}

std::int64_t global_batch_samples(std::int64_t samples, int ranks, std::int64_t batch,
                                  std::int64_t step) {
  // Shards have only two sizes, so two batch_range calls cover all ranks.
  const std::int64_t extra = samples % ranks;
  const std::int64_t large = batch_range(samples / ranks + 1, step, batch).count;
  const std::int64_t small = batch_range(samples / ranks, step, batch).count;
  return extra * large + (ranks - extra) * small;
}

}  // namespace dptrain
