// Data-parallel correctness, run by ctest under mpiexec with 1, 2, 3 and 4 ranks.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../support/replicas.h"
#include "../support/small_config.h"
#include "../support/synthetic.h"
#include "../support/union_gradient.h"
#include "dptrain/comm/fail_together.h"
#include "dptrain/comm/mpi_communicator.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/evaluate.h"
#include "dptrain/train/lr_schedule.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

using testing::small_config;
using testing::gradients;
// Flat copy of every parameter (or gradient) for comparisons.
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) { return testing::flat_cpu(tensors); }

// Every step moves the parameters by the learning rate times the gradient of the union of all
// ranks' batches. (Read from the parameters: where the ranks of a node share them, the SGD step
// is part of the reduction, and no rank holds the whole averaged gradient.)
TEST(DataParallel, EveryStepFollowsTheGradientOfTheUnionOfBatches) {
  MpiCommunicator comm;
  const std::int64_t samples = 53;  // uneven shards: no rank count here divides 53
  const TrainConfig config = small_config();
  const Shard train = testing::synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
  const Shard test = testing::synthetic_shard({0, 0});
  Trainer trainer(config, comm, train, samples, test);
  if (comm.size() > 1) {
    EXPECT_EQ(trainer.gradient_sync()->steps_parameters(), comm.shares_parameters());
  }
  for (std::int64_t step = 0; step < trainer.steps_per_epoch(); ++step) {
    // Reference: one process, the same starting parameters, the union of all ranks' batches.
    const torch::Tensor expected =
        testing::union_gradient(config, trainer.parameters(), samples, comm.size(), step);
    const double lr = learning_rate(config, comm.size(), static_cast<double>(step) / trainer.steps_per_epoch());
    const torch::Tensor before = flatten(trainer.parameters()).clone();
    trainer.train_step(0, step);
    // The difference of two floats this close is exact: only the step's own rounding remains.
    const torch::Tensor followed = (before - flatten(trainer.parameters())) / lr;
    EXPECT_TRUE(torch::allclose(followed, expected, 1e-4, 1e-6))
        << "step " << step << ", max difference "
        << (followed - expected).abs().max().item<float>();
  }
}

TEST(DataParallel, ParametersStayIdenticalOnAllRanks) {
  MpiCommunicator comm;
  const auto run = testing::train_replicas(small_config(), comm);
  EXPECT_TRUE(testing::identical_on_all_ranks(flatten(run->trainer->parameters()))) << "replicas diverged";
}

// In fp32 and in bf16, whose 16-bit twins of the buckets are made on the communication
// thread when overlapping.
TEST(DataParallel, OverlappedAveragingIsBitIdenticalToSequential) {
  MpiCommunicator comm;
  const std::int64_t samples = 97;
  for (const std::string dtype : {"fp32", "bf16"}) {
    std::vector<torch::Tensor> results;
    for (bool overlap : {true, false}) {
      TrainConfig config = small_config();
      config.overlap = overlap;
      config.grad_dtype = dtype;
      config.bucket_mb = 0.3;  // 4 buckets for the quickstart MLP
      config.shuffle = true;
      config.epochs = 2;
      const Shard train = testing::synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
      const Shard test = testing::synthetic_shard({0, 0});
      Trainer trainer(config, comm, train, samples, test);
      trainer.run(nullptr);
      if (comm.size() > 1) {
        const GradientSync& sync = *trainer.gradient_sync();
        EXPECT_GE(sync.bucket_count(), 3u);
        EXPECT_EQ(sync.overlapping(), overlap);
        // The buckets of the last layers are complete long before backward ends.
        if (overlap) EXPECT_GE(sync.launched_during_backward(), 1u);
      } else {
        EXPECT_EQ(trainer.gradient_sync(), nullptr);
      }
      results.push_back(flatten(trainer.parameters()).clone());
    }
    EXPECT_TRUE(torch::equal(results[0], results[1])) << "overlap changed the result in " << dtype;
  }
}

TEST(DataParallel, BucketsStagedThroughHostMemoryGiveTheSameSums) {
  // GPU buckets under --backend mpi are copied to host memory, summed and copied back; with the
  // CPU standing in for the device the same code runs here, against the CPU path.
  MpiCommunicator comm;
  const Batch batch = Batcher(testing::synthetic_shard({comm.rank() * 7, 7}), 7).batch(0);
  std::vector<torch::Tensor> results;
  for (bool staged : {true, false}) {
    torch::manual_seed(5);
    torch::nn::Sequential model = make_model("quickstart-mlp");
    GradientSyncOptions options;
    options.bucket_bytes = 300u << 10;  // several buckets
    options.overlap = false;
    auto transport = staged ? make_staged_transport(comm, torch::kCPU, TransportPrecision::fp32)
                            : make_host_transport(comm, TransportPrecision::fp32, false);
    GradientSync sync(model->parameters(), std::move(transport), options);
    EXPECT_GE(sync.bucket_count(), 3u);
    sync.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
    sync.finish();
    results.push_back(flatten(gradients(model->parameters())).clone());
  }
  EXPECT_TRUE(torch::equal(results[0], results[1])) << "staging changed the sums";
}

TEST(DataParallel, SixteenBitGradientsCostLittleAccuracy) {
  MpiCommunicator comm;
  const std::int64_t samples = 120;
  std::vector<torch::Tensor> results;
  std::vector<double> losses;
  const std::vector<std::string> dtypes = {"fp32", "bf16", "fp16"};
  for (const std::string& dtype : dtypes) {
    TrainConfig config = small_config();
    config.grad_dtype = dtype;
    config.epochs = 3;
    const Shard train = testing::synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
    const Shard test = testing::synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
    Trainer trainer(config, comm, train, samples, test);
    losses.push_back(trainer.run(nullptr).final_test_loss);
    results.push_back(flatten(trainer.parameters()).clone());
  }
  for (std::size_t i = 1; i < dtypes.size(); ++i) {
    const double drift = ((results[i] - results[0]).norm() / results[0].norm()).item<double>();
    EXPECT_LT(drift, 1e-2) << dtypes[i] << " transport moved the parameters too far";
    EXPECT_NEAR(losses[i], losses[0], 0.02 * losses[0]) << dtypes[i];
    if (comm.size() > 1) EXPECT_GT(drift, 0.0) << dtypes[i] << " transport was not applied";
  }
}

TEST(DataParallel, ShardsCoverEverySampleExactlyOnce) {
  MpiCommunicator comm;
  for (std::int64_t samples : {60000, 10000, 53, 4}) {
    const ShardRange mine = shard_range(samples, comm.rank(), comm.size());
    std::vector<std::int64_t> all(2 * comm.size());
    std::int64_t pair[2] = {mine.begin, mine.count};
    MPI_Allgather(pair, 2, MPI_INT64_T, all.data(), 2, MPI_INT64_T, MPI_COMM_WORLD);
    std::int64_t next = 0;
    for (int r = 0; r < comm.size(); ++r) {
      EXPECT_EQ(all[2 * r], next) << "rank " << r << " of " << samples;
      next += all[2 * r + 1];
    }
    EXPECT_EQ(next, samples);
  }
}

TEST(DataParallel, ShardedEvaluationEqualsWholeTestSet) {
  MpiCommunicator comm;
  const std::int64_t samples = 2503;  // more than one evaluation batch per rank, uneven shards
  torch::manual_seed(3);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  broadcast_parameters(model->parameters(), comm);
  const Shard mine = testing::synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
  const Evaluation sharded = evaluate(model, test_batches(mine, torch::kCPU), comm);
  SingleRankCommunicator alone;
  const Shard all = testing::synthetic_shard({0, samples});
  const Evaluation whole = evaluate(model, test_batches(all, torch::kCPU), alone);
  EXPECT_EQ(sharded.samples, samples);
  EXPECT_DOUBLE_EQ(sharded.accuracy, whole.accuracy);
  EXPECT_NEAR(sharded.loss, whole.loss, 1e-5 * whole.loss);
}

TEST(DataParallel, OneFailingRankFailsEveryRank) {
  MpiCommunicator comm;
  const int failing = comm.size() - 1;
  EXPECT_NO_THROW(fail_together(comm, ""));
  EXPECT_THROW(fail_together(comm, comm.rank() == failing ? "test failure" : ""), ReportedFailure);
}

}  // namespace
}  // namespace dptrain
