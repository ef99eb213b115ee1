// The learning rate: linear scaling with the ranks, after a warm-up.
#include <gtest/gtest.h>

#include "dptrain/config/config.h"
#include "dptrain/train/lr_schedule.h"

namespace dptrain {
namespace {

TEST(LearningRate, LinearScalingWithWarmup) {
  TrainConfig c;
  c.lr = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(c, 4, 0.0), 0.1);
  c.lr_scaling = LrScaling::linear;
  EXPECT_DOUBLE_EQ(learning_rate(c, 4, 0.0), 0.4);
  c.warmup_epochs = 2;
  EXPECT_DOUBLE_EQ(learning_rate(c, 4, 0.0), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(c, 4, 1.0), 0.25);
  EXPECT_DOUBLE_EQ(learning_rate(c, 4, 2.0), 0.4);
  EXPECT_DOUBLE_EQ(learning_rate(c, 4, 3.5), 0.4);
  EXPECT_DOUBLE_EQ(learning_rate(c, 1, 0.5), 0.1);
}

}  // namespace
}  // namespace dptrain
