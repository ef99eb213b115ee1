// Two ranks training on one GPU with --backend mpi (gradients staged through host memory),
// run under mpiexec -n 2 on a GPU machine (ctest -L gpu).
#include <gtest/gtest.h>

#include "../support/replicas.h"
#include "../support/small_config.h"
#include "../support/synthetic.h"
#include "../support/union_gradient.h"
#include "dptrain/comm/mpi_communicator.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

TrainConfig shared_gpu_config() {
  TrainConfig c = testing::small_config();
  c.device = "cuda";
  c.backend = "mpi";
  return c;
}

using testing::flat_cpu;

TEST(GpuSharedByRanks, AveragedGradientEqualsGradientOfTheUnionOfBatches) {
  MpiCommunicator comm;
  const std::int64_t samples = 53;  // uneven shards
  const TrainConfig config = shared_gpu_config();
  const Shard train = testing::synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
  const Shard test = testing::synthetic_shard({0, 0});
  Trainer trainer(config, comm, train, samples, test);
  ASSERT_TRUE(trainer.device().is_cuda());
  for (std::int64_t step = 0; step < trainer.steps_per_epoch(); ++step) {
    const torch::Tensor expected =
        testing::union_gradient(config, trainer.parameters(), samples, comm.size(), step);
    trainer.train_step(0, step);
    const torch::Tensor averaged = flat_cpu(testing::gradients(trainer.parameters()));
    EXPECT_TRUE(torch::allclose(averaged, expected, 1e-4, 1e-6))
        << "step " << step << ", max difference " << (averaged - expected).abs().max().item<float>();
  }
}

TEST(GpuSharedByRanks, ReplicasStayIdentical) {
  MpiCommunicator comm;
  const auto run = testing::train_replicas(shared_gpu_config(), comm);
  EXPECT_EQ(run->trainer->graph_steps(), 0) << "averaging through host memory cannot be in a CUDA graph";
  EXPECT_TRUE(testing::identical_on_all_ranks(flat_cpu(run->trainer->parameters()))) << "replicas diverged";
}

}  // namespace
}  // namespace dptrain
