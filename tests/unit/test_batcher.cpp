// Batcher: training batches sliced from the in-memory uint8 shard.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "../support/synthetic.h"
#include "dptrain/train/batcher.h"

namespace dptrain {
namespace {

TEST(Batcher, ConvertsLikeToTensorAndSlicesBatches) {
  const Shard shard = testing::synthetic_shard({10, 7});
  Batcher batcher(shard, 3);
  const Batch first = batcher.batch(0);
  EXPECT_EQ(first.images.sizes(), (torch::IntArrayRef{3, 1, 28, 28}));
  EXPECT_EQ(first.images.scalar_type(), torch::kFloat);
  EXPECT_FLOAT_EQ(first.images[1][0][0][5].item<float>(), testing::synthetic_pixel(11, 5) / 255.0f);
  EXPECT_EQ(first.labels[2].item<std::int64_t>(), testing::synthetic_label(12));
  EXPECT_EQ(batcher.batch(2).size(), 1);
  EXPECT_EQ(batcher.batch(3).size(), 0);
}

TEST(Batcher, ShuffledEpochVisitsEverySampleOnce) {
  const Shard shard = testing::synthetic_shard({0, 10});
  Batcher batcher(shard, 4);
  batcher.start_epoch(true, 5, 1);
  std::vector<std::int64_t> labels;
  for (int step = 0; step < 3; ++step) {
    const Batch b = batcher.batch(step);
    for (std::int64_t i = 0; i < b.size(); ++i) labels.push_back(b.labels[i].item<std::int64_t>());
  }
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(testing::synthetic_label(i));
  EXPECT_NE(labels, expected);
  std::sort(labels.begin(), labels.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(labels, expected);
}

}  // namespace
}  // namespace dptrain
