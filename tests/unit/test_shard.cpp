#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dptrain/data/epoch_order.h"
#include "dptrain/data/shard.h"

namespace dptrain {
namespace {

TEST(Shard, CoversEverySampleExactlyOnce) {
  for (std::int64_t samples : {1, 7, 60000, 10000, 59999}) {
    for (int ranks = 1; ranks <= 9 && ranks <= samples; ++ranks) {
      std::vector<int> owner(static_cast<std::size_t>(samples), 0);
      std::int64_t smallest = samples, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const ShardRange s = shard_range(samples, r, ranks);
        for (std::int64_t i = s.begin; i < s.begin + s.count; ++i) ++owner[i];
        smallest = std::min(smallest, s.count);
        largest = std::max(largest, s.count);
      }
      EXPECT_TRUE(std::all_of(owner.begin(), owner.end(), [](int n) { return n == 1; }))
          << samples << " samples, " << ranks << " ranks";
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(Shard, StepsCoverTheLargestShardAndGlobalBatchesAddUp) {
  for (int ranks : {1, 2, 3, 7}) {
    const std::int64_t samples = 60000, batch = 64;
    const std::int64_t steps = steps_per_epoch(samples, ranks, batch);
    std::int64_t seen = 0;
    for (std::int64_t step = 0; step < steps; ++step) {
      std::int64_t sum = 0;
      for (int r = 0; r < ranks; ++r) sum += batch_range(shard_range(samples, r, ranks).count, step, batch).count;
      EXPECT_EQ(sum, global_batch_samples(samples, ranks, batch, step));
      EXPECT_GT(sum, 0);
      seen += sum;
    }
    EXPECT_EQ(seen, samples) << ranks << " ranks";
  }
  EXPECT_EQ(steps_per_epoch(60000, 1, 64), 938);  // 937 full batches and one of 32, as in PyTorch
}

TEST(Shard, EmptyLastBatchForShorterShards) {
  // 129 samples on 2 ranks: shards of 65 and 64; with batch 64 the second rank's 2nd batch is empty.
  EXPECT_EQ(steps_per_epoch(129, 2, 64), 2);
  EXPECT_EQ(batch_range(64, 1, 64).count, 0);
  EXPECT_EQ(global_batch_samples(129, 2, 64, 1), 1);
}

TEST(EpochOrder, FileOrderWithoutShuffle) {
  const auto order = epoch_order(5, false, 1, 3, 0);
  EXPECT_EQ(order, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(EpochOrder, SeededPermutationPerEpoch) {
  const auto a = epoch_order(1000, true, 42, 0, 0);
  EXPECT_EQ(a, epoch_order(1000, true, 42, 0, 0));
  EXPECT_NE(a, epoch_order(1000, true, 42, 1, 0));
  EXPECT_NE(a, epoch_order(1000, true, 43, 0, 0));
  EXPECT_EQ(std::set<std::int64_t>(a.begin(), a.end()).size(), 1000u);
  EXPECT_EQ(*std::max_element(a.begin(), a.end()), 999);
}

}  // namespace
}  // namespace dptrain
