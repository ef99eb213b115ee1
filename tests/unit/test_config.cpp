#include <gtest/gtest.h>

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
  EXPECT_EQ(message(bad), "--lr must be positive (got -1)");
  bad = c;
  bad.threads = 0;
  EXPECT_EQ(message(bad), "--threads must be at least 1 (got 0)");
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
