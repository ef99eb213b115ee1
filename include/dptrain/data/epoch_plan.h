// What each rank trains on in one epoch.
//
// Normally a rank visits its whole shard in epoch_order. An epoch interrupted and resumed on
// another number of ranks goes on with what the earlier layouts left: each rank takes the
// samples of its new shard that no earlier layout trained in this epoch, in its epoch_order.
// The epoch still trains every sample exactly once, and the steps stay unions of the ranks'
// batches (shard.h), now of uneven sizes.
#pragma once

#include <cstdint>
#include <vector>

#include "dptrain/data/shard.h"

namespace dptrain {

// A stretch of an epoch trained by one layout: `ranks` ranks, `steps` steps.
struct EpochSegment {
  int ranks = 1;
  std::int64_t steps = 0;
  bool operator==(const EpochSegment& other) const {
    return ranks == other.ranks && steps == other.steps;
  }
};

class EpochPlan {
 public:
  // The epoch `epoch` of `samples` samples on `ranks` ranks, after the segments `earlier` of
  // the same epoch (empty: the whole epoch is still to train).
  EpochPlan(std::int64_t samples, int ranks, std::int64_t batch, bool shuffle, std::uint64_t seed,
            int epoch, const std::vector<EpochSegment>& earlier = {});

  // Steps of this epoch's training on this layout.
  std::int64_t steps() const { return steps_; }
  // Shard-local positions that `rank` trains on, in order.
  std::vector<std::int64_t> order(int rank) const;
  // How many samples `rank` trains on.
  std::int64_t count(int rank) const { return counts_[static_cast<std::size_t>(rank)]; }
  // Samples all ranks together train on at `step`.
  std::int64_t global_batch(std::int64_t step) const;
  // Share of the epoch (0..1) that the earlier segments trained.
  double fraction_before() const { return fraction_before_; }

 private:
  // Marks what the earlier segments trained; returns how many samples that was.
  std::int64_t mark_trained(const std::vector<EpochSegment>& earlier);
  // A shard's positions not yet trained, in its epoch order; and how many there are.
  std::vector<std::int64_t> untrained_order(ShardRange shard) const;
  std::int64_t untrained_count(ShardRange shard) const;

  std::int64_t samples_;
  int ranks_;
  std::int64_t batch_;
  bool shuffle_;
  std::uint64_t seed_;
  int epoch_;
  std::vector<bool> trained_;  // by the earlier segments; empty when there are none
  std::vector<std::int64_t> counts_;
  std::int64_t steps_ = 0;
  double fraction_before_ = 0.0;
};

}  // namespace dptrain
