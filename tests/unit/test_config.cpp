#include <gtest/gtest.h>

#include <limits>

#include "../support/error_of.h"
#include "dptrain/config/config.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

TEST(Config, ValidatesEachOption) {
  TrainConfig c;
  c.data = "x.h5";
  EXPECT_NO_THROW(validate(c));
  auto message = [](TrainConfig bad) {
    try {
      validate(bad);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  TrainConfig bad = c;
  bad.batch_size = 0;
  EXPECT_EQ(message(bad), "--batch-size must be at least 1 (got 0)");
  bad = c;
  bad.lr = -1;
  EXPECT_EQ(message(bad), "--lr must be positive and finite (got -1)");
  bad.lr = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(message(bad), "--lr must be positive and finite (got nan)");
  bad = c;
  bad.threads = 0;
  EXPECT_EQ(message(bad), "--threads must be from 1 to 1024 (got 0)");
  bad.threads = 1025;
  EXPECT_EQ(message(bad), "--threads must be from 1 to 1024 (got 1025)");
  bad = c;
  bad.epochs = 1000001;
  EXPECT_EQ(message(bad), "--epochs must be from 1 to 1000000 (got 1000001)");
  bad = c;
  bad.warmup_epochs = std::numeric_limits<double>::infinity();
  EXPECT_EQ(message(bad), "--warmup-epochs must be from 0 to 1000000 (got inf)");
  bad = c;
  bad.bucket_mb = 1e-9;
  EXPECT_EQ(message(bad), "--bucket-mb must be from 0.001 to 4096 (got 1e-09)");
  bad = c;
  bad.collective_timeout = 0.5;
  EXPECT_EQ(message(bad), "--collective-timeout must be 0 (off) or at least 1 second (got 0.5)");
  bad.collective_timeout = 0;
  EXPECT_EQ(message(bad), "");
  bad = c;
  bad.data.clear();
  EXPECT_NE(message(bad).find("--data is required"), std::string::npos);
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
