#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "../support/error_of.h"
#include "dptrain/config/config.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

// The message validate() gives for `c` changed by `change`, empty if it accepts it.
std::string message_for(const std::function<void(TrainConfig&)>& change) {
  TrainConfig c;
  c.data = "x.h5";
  change(c);
  try {
    validate(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ValidatesEachOption) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::function<void(TrainConfig&)>, std::string>> cases = {
      {[](TrainConfig&) {}, ""},
      {[](TrainConfig& c) { c.batch_size = 0; }, "--batch-size must be at least 1 (got 0)"},
      {[](TrainConfig& c) { c.lr = -1; }, "--lr must be from 1.2e-38 to 3.4e38 (float32's range) (got -1)"},
      {[&](TrainConfig& c) { c.lr = kNaN; }, "--lr must be from 1.2e-38 to 3.4e38 (float32's range) (got nan)"},
      {[](TrainConfig& c) { c.lr = 1e39; }, "--lr must be from 1.2e-38 to 3.4e38 (float32's range) (got 1e+39)"},
      {[](TrainConfig& c) { c.threads = 0; }, "--threads must be from 1 to 1024 (got 0)"},
      {[](TrainConfig& c) { c.threads = 1025; }, "--threads must be from 1 to 1024 (got 1025)"},
      {[](TrainConfig& c) { c.epochs = 1000001; }, "--epochs must be from 1 to 1000000 (got 1000001)"},
      {[&](TrainConfig& c) { c.warmup_epochs = kInfinity; },
       "--warmup-epochs must be from 0 to 1000000 (got inf)"},
      {[](TrainConfig& c) { c.lr = 1e-50; }, "--lr must be from 1.2e-38 to 3.4e38 (float32's range) (got 1e-50)"},
      {[](TrainConfig& c) { c.bucket_mb = 1e-9; }, "--bucket-mb must be from 0.001 to 4096 (got 1e-09)"},
      {[](TrainConfig& c) { c.bucket_mb = 4096.0000001; },
       "--bucket-mb must be from 0.001 to 4096 (got 4096.0000001)"},
      {[](TrainConfig& c) { c.collective_timeout = 0.5; },
       "--collective-timeout must be 0 (off) or at least 1 second (got 0.5)"},
      {[](TrainConfig& c) { c.collective_timeout = 0; }, ""},
      {[](TrainConfig& c) { c.checkpoint_every = "0.4steps"; },
       "--checkpoint-every counts whole steps (got '0.4steps'); for a fraction of an epoch give "
       "steps or a time"},
      {[](TrainConfig& c) { c.checkpoint_every = "0.5epoch"; },
       "--checkpoint-every counts whole epochs (got '0.5epoch'); for a fraction of an epoch give "
       "steps or a time"},
      {[](TrainConfig& c) { c.checkpoint_every = "1.5min"; }, ""},
      {[](TrainConfig& c) { c.checkpoint_every = "500steps"; }, ""},
      {[](TrainConfig& c) { c.data.clear(); },
       "--data is required: the HDF5 file written by `dptrain convert`"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(message_for(cases[i].first), cases[i].second) << "case " << i;
  }
}

// --lr-scaling linear multiplies --lr by the ranks: the product must still fit a float32 step.
TEST(Config, ScaledLearningRateFitsAFloat) {
  TrainConfig c;
  c.lr = 2e38;
  EXPECT_NO_THROW(validate_for_ranks(c, 4)) << "no scaling";
  c.lr_scaling = LrScaling::linear;
  EXPECT_NO_THROW(validate_for_ranks(c, 1));
  EXPECT_EQ(testing::error_of([&] { validate_for_ranks(c, 2); }),
            "--lr 2e+38 x 2 ranks (--lr-scaling linear) is past 3.4e38, the largest learning rate "
            "a float32 step can take");
  c.lr = 1e-3;
  EXPECT_NO_THROW(validate_for_ranks(c, 1 << 20));
}

TEST(Config, DeviceBackendAndGraphsGoTogether) {
  using testing::error_of;
  TrainConfig c;
  c.data = "x.h5";
  EXPECT_EQ(effective_backend(c), "mpi");
  EXPECT_FALSE(uses_cuda_graphs(c, 1));
  c.device = "cuda";
  EXPECT_NO_THROW(validate(c));
  EXPECT_EQ(effective_backend(c), "nccl");
  EXPECT_TRUE(uses_cuda_graphs(c, 4));
  c.backend = "mpi";
  EXPECT_TRUE(uses_cuda_graphs(c, 1)) << "one rank has nothing to average";
  EXPECT_FALSE(uses_cuda_graphs(c, 2)) << "auto leaves graphs out where MPI averages";
  c.cuda_graphs = "on";
  EXPECT_NE(error_of([&] { uses_cuda_graphs(c, 2); }).find("--cuda-graphs on: steps that average through MPI"),
            std::string::npos);
  c.cuda_graphs = "off";
  EXPECT_FALSE(uses_cuda_graphs(c, 1));

  TrainConfig bad = c;
  bad.device = "tpu";
  EXPECT_EQ(error_of([&] { validate(bad); }), "--device must be cpu or cuda (got tpu)");
  bad = c;
  bad.device = "cpu";
  bad.backend = "nccl";
  EXPECT_NE(error_of([&] { validate(bad); }).find("--backend nccl needs --device cuda"), std::string::npos);
  bad = c;
  bad.device = "cpu";
  bad.cuda_graphs = "on";
  EXPECT_EQ(error_of([&] { validate(bad); }), "--cuda-graphs on needs --device cuda");
  bad = c;
  bad.backend = "auto";
  bad.grad_dtype = "bf16";
  EXPECT_NE(error_of([&] { validate(bad); }).find("--grad-dtype bf16 is for the mpi backend"),
            std::string::npos);
  bad.backend = "mpi";
  EXPECT_NO_THROW(validate(bad));
}

}  // namespace
}  // namespace dptrain
