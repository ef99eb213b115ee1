#include "dptrain/data/epoch_plan.h"

#include <algorithm>

#include "dptrain/data/epoch_order.h"

namespace dptrain {

EpochPlan::EpochPlan(std::int64_t samples, int ranks, std::int64_t batch, bool shuffle,
                     std::uint64_t seed, int epoch, const std::vector<EpochSegment>& earlier)
    : samples_(samples), ranks_(ranks), batch_(batch), shuffle_(shuffle), seed_(seed),
      epoch_(epoch) {
  const std::int64_t trained = mark_trained(earlier);
  fraction_before_ = samples > 0 ? static_cast<double>(trained) / static_cast<double>(samples)
                                  : 0.0;
  std::int64_t largest = 0;
  for (int r = 0; r < ranks; ++r) {
    counts_.push_back(untrained_count(shard_range(samples, r, ranks)));
    largest = std::max(largest, counts_.back());
  }
  steps_ = (largest + batch - 1) / batch;
}

std::int64_t EpochPlan::mark_trained(const std::vector<EpochSegment>& earlier) {
  // Each rank of a layout trained the first `steps` batches of its untrained order. The
  // shards of one layout do not overlap, so marking as we go is safe.
  std::int64_t trained = 0;
  for (const EpochSegment& segment : earlier) {
    if (trained_.empty()) trained_.assign(static_cast<std::size_t>(samples_), false);
    for (int r = 0; r < segment.ranks; ++r) {
      const ShardRange shard = shard_range(samples_, r, segment.ranks);
      const std::vector<std::int64_t> order = untrained_order(shard);
      const auto taken = std::min(static_cast<std::int64_t>(order.size()), segment.steps * batch_);
      for (std::int64_t i = 0; i < taken; ++i) {
        trained_[static_cast<std::size_t>(shard.begin + order[static_cast<std::size_t>(i)])] = true;
      }
      trained += taken;
    }
  }
  return trained;
}

std::int64_t EpochPlan::untrained_count(ShardRange shard) const {
  if (trained_.empty()) return shard.count;
  const auto first = trained_.begin() + shard.begin;
  return std::count(first, first + shard.count, false);
}

std::vector<std::int64_t> EpochPlan::untrained_order(ShardRange shard) const {
  std::vector<std::int64_t> order = epoch_order(shard.count, shuffle_, seed_, epoch_, shard.begin);
  if (trained_.empty()) return order;
  const auto trained = [&](std::int64_t p) {
    return trained_[static_cast<std::size_t>(shard.begin + p)];
  };
  order.erase(std::remove_if(order.begin(), order.end(), trained), order.end());
  return order;
}

std::vector<std::int64_t> EpochPlan::order(int rank) const {
  return untrained_order(shard_range(samples_, rank, ranks_));
}

std::int64_t EpochPlan::global_batch(std::int64_t step) const {
  if (trained_.empty()) return global_batch_samples(samples_, ranks_, batch_, step);
  std::int64_t total = 0;
  for (std::int64_t count : counts_) total += batch_range(count, step, batch_).count;
  return total;
}

}  // namespace dptrain
