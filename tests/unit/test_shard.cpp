#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dptrain/data/epoch_order.h"
#include "dptrain/data/epoch_plan.h"
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

// The samples (global indices) that `rank` of `plan` trains in its first `steps` steps.
std::vector<std::int64_t> trained(const EpochPlan& plan, std::int64_t samples, int rank, int ranks,
                                  std::int64_t batch, std::int64_t steps) {
  const ShardRange shard = shard_range(samples, rank, ranks);
  const std::vector<std::int64_t> order = plan.order(rank);
  const auto n = std::min<std::int64_t>(static_cast<std::int64_t>(order.size()), steps * batch);
  std::vector<std::int64_t> indices;
  for (std::int64_t i = 0; i < n; ++i) indices.push_back(shard.begin + order[i]);
  return indices;
}

TEST(EpochPlan, AWholeEpochIsEveryShardInItsEpochOrder) {
  for (bool shuffle : {false, true}) {
    const std::int64_t samples = 1003, batch = 16;
    const int ranks = 4;
    const EpochPlan plan(samples, ranks, batch, shuffle, 7, 2);
    EXPECT_EQ(plan.steps(), steps_per_epoch(samples, ranks, batch));
    EXPECT_EQ(plan.fraction_before(), 0.0);
    for (int r = 0; r < ranks; ++r) {
      const ShardRange shard = shard_range(samples, r, ranks);
      EXPECT_EQ(plan.order(r), epoch_order(shard.count, shuffle, 7, 2, shard.begin));
      EXPECT_EQ(plan.count(r), shard.count);
    }
    for (std::int64_t step = 0; step <= plan.steps(); ++step) {
      EXPECT_EQ(plan.global_batch(step), global_batch_samples(samples, ranks, batch, step));
    }
  }
}

// An epoch trained 5 steps on 3 ranks, then 7 on 2, then finished on 4: every sample exactly
// once, each rank in its own epoch order less what was trained, and steps that fit.
TEST(EpochPlan, LayoutsThatTakeTurnsTrainEverySampleOnce) {
  for (bool shuffle : {false, true}) {
    const std::int64_t samples = 1003, batch = 16;
    const std::vector<EpochSegment> turns = {{3, 5}, {2, 7}};
    std::vector<int> times(static_cast<std::size_t>(samples), 0);
    std::vector<EpochSegment> earlier;
    for (const EpochSegment& turn : turns) {
      const EpochPlan plan(samples, turn.ranks, batch, shuffle, 7, 2, earlier);
      for (int r = 0; r < turn.ranks; ++r) {
        for (std::int64_t i : trained(plan, samples, r, turn.ranks, batch, turn.steps)) ++times[i];
      }
      earlier.push_back(turn);
    }
    const std::int64_t before = std::count(times.begin(), times.end(), 1);
    EXPECT_EQ(before, 3 * 5 * batch + 2 * 7 * batch);
    const EpochPlan rest(samples, 4, batch, shuffle, 7, 2, earlier);
    EXPECT_DOUBLE_EQ(rest.fraction_before(), static_cast<double>(before) / samples);
    std::int64_t counted = 0, largest = 0, in_batches = 0;
    for (int r = 0; r < 4; ++r) {
      const std::vector<std::int64_t> mine = trained(rest, samples, r, 4, batch, rest.steps());
      EXPECT_EQ(static_cast<std::int64_t>(mine.size()), rest.count(r));
      for (std::int64_t i : mine) ++times[i];
      counted += rest.count(r);
      largest = std::max(largest, rest.count(r));
      // What the rank trains keeps its epoch order: a subsequence of it.
      const ShardRange shard = shard_range(samples, r, 4);
      const std::vector<std::int64_t> full = epoch_order(shard.count, shuffle, 7, 2, shard.begin);
      const std::vector<std::int64_t> order = rest.order(r);
      EXPECT_TRUE(std::includes(full.begin(), full.end(), order.begin(), order.end(),
                                [&](std::int64_t a, std::int64_t b) {
                                  return std::find(full.begin(), full.end(), a) <
                                         std::find(full.begin(), full.end(), b);
                                }));
    }
    EXPECT_EQ(std::count(times.begin(), times.end(), 1), samples) << "shuffle " << shuffle;
    EXPECT_EQ(counted, samples - before);
    EXPECT_EQ(rest.steps(), (largest + batch - 1) / batch);
    for (std::int64_t step = 0; step < rest.steps(); ++step) in_batches += rest.global_batch(step);
    EXPECT_EQ(in_batches, samples - before);
  }
}

}  // namespace
}  // namespace dptrain
