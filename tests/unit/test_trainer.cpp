// Trainer, on one process: replayed CUDA-graph steps, and resuming from checkpoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/error_of.h"
#include "../support/scratch_dir.h"
#include "../support/small_config.h"
#include "../support/synthetic.h"
#include "dptrain/checkpoint/checkpointer.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/fingerprint.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

// What a CUDA graph does, on the CPU: a recorded step runs again at every replay. Drives the
// trainer's graph logic (warm-ups, one capture, replays of full steps only, fixed inputs).
class RerunStepGraph : public StepGraph {
 public:
  struct Counts {
    int warm_ups = 0, captures = 0, replays = 0;
  };
  explicit RerunStepGraph(Counts& counts) : counts_(counts) {}
  void warm_up(const std::function<void()>& step) override {
    ++counts_.warm_ups;
    step();
  }
  void capture(const std::function<void()>& step) override {
    ++counts_.captures;
    recorded_ = step;
  }
  void replay() override {
    ++counts_.replays;
    recorded_();
  }

 private:
  Counts& counts_;
  std::function<void()> recorded_;
};

TEST(Trainer, ReplayedFullStepsGiveTheParametersOfEagerSteps) {
  const std::int64_t samples = 8 * 12 + 3;  // 12 full steps and a partial one per epoch
  const Shard train = testing::synthetic_shard({0, samples});
  const Shard test = testing::synthetic_shard({0, 16});
  SingleRankCommunicator alone;
  TrainConfig config;
  config.data = "synthetic";
  config.batch_size = 8;
  config.lr = 0.05;
  config.epochs = 2;
  config.shuffle = true;  // the graph's inputs must follow the order of every epoch

  Trainer eager(config, alone, train, samples, test);
  eager.run(nullptr);
  Trainer replayed(config, alone, train, samples, test);
  RerunStepGraph::Counts counts;
  replayed.replay_steps_with(std::make_unique<RerunStepGraph>(counts));
  replayed.run(nullptr);

  EXPECT_EQ(counts.warm_ups, 3);
  EXPECT_EQ(counts.captures, 1);
  EXPECT_EQ(counts.replays, 2 * 12 - 3) << "every full step after the warm-ups is a replay";
  EXPECT_EQ(replayed.graph_steps(), counts.replays);
  const auto a = eager.parameters(), b = replayed.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

// A checkpoint whose recorded layouts this data could not have had is refused before any is
// replayed (a crafted file passes its checksum all the same).
TEST(Trainer, RefusesCheckpointsOfImpossibleLayouts) {
  const std::int64_t samples = 99;
  const TrainConfig config = testing::small_config();  // batches of 5
  SingleRankCommunicator alone;
  const Shard train = testing::synthetic_shard({0, samples});  // read in place: outlives the trainer
  const Shard test = testing::synthetic_shard({0, 16});
  Trainer trainer(config, alone, train, samples, test);
  const std::string dir = testing::scratch_dir("impossible-layouts");
  torch::optim::SGD optimizer(trainer.model()->parameters(), torch::optim::SGDOptions(0.1));
  // Epoch 1 trained first by `earlier`, then 2 steps of 2 ranks.
  const auto resume_after = [&](EpochSegment earlier) {
    CheckpointInfo info;
    info.position = {0, 2};
    info.ranks = 2;
    info.fingerprint = training_fingerprint(config, trainer.model(), samples);
    info.earlier_segments = {earlier};
    const std::string path = Checkpointer(dir, 10).save(trainer.model(), optimizer, info);
    return testing::error_of([&] { trainer.resume(path); });
  };
  EXPECT_EQ(resume_after({3, 7}), "(no error)") << "3 ranks hold 33 samples each: 7 steps of 5";
  const std::string too_many_steps = resume_after({3, 8});
  EXPECT_NE(too_many_steps.find(": checkpoint records an impossible layout of epoch 1 (3 ranks, 8 steps, "
                                "for 99 samples)"),
            std::string::npos)
      << too_many_steps;
  const std::string too_many_ranks = resume_after({1000, 0});
  EXPECT_NE(too_many_ranks.find("impossible layout of epoch 1 (1000 ranks"), std::string::npos)
      << too_many_ranks;
}

// A checkpoint of another configuration is refused with what differs, before its parameters
// replace the model's.
TEST(Trainer, RefusesCheckpointsOfAnotherRunBeforeLoadingThem) {
  const std::int64_t samples = 40;
  TrainConfig config = testing::small_config();
  SingleRankCommunicator alone;
  const Shard train = testing::synthetic_shard({0, samples});
  const Shard test = testing::synthetic_shard({0, 16});
  Trainer trainer(config, alone, train, samples, test);
  TrainConfig other = config;
  other.lr = config.lr * 2;
  torch::nn::Sequential saved = make_model(config.model);
  for (auto& p : saved->parameters()) p.data().fill_(7.0);
  torch::optim::SGD optimizer(saved->parameters(), torch::optim::SGDOptions(other.lr));
  CheckpointInfo info;
  info.fingerprint = training_fingerprint(other, saved, samples);
  const std::string path =
      Checkpointer(testing::scratch_dir("another-run"), 10).save(saved, optimizer, info);
  std::vector<torch::Tensor> before;
  for (const auto& p : trainer.parameters()) before.push_back(p.clone());

  const std::string error = testing::error_of([&] { trainer.resume(path); });
  EXPECT_NE(error.find(": checkpoint of a different run (checkpoint vs this run: lr: "), std::string::npos)
      << error;
  const auto after = trainer.parameters();
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << "parameter " << i;
}

// The names of the checkpoints in `dir`, in order.
std::vector<std::string> checkpoint_names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A job of 20 steps per epoch checkpoints its first epoch, then is resumed for a second one
// with --checkpoint-every 7steps: job steps 21, 28 and 35 are steps 1, 8 and 15 of epoch 2.
TEST(Trainer, ResumedJobsCheckpointOnTheJobsSteps) {
  const std::int64_t samples = 100;
  TrainConfig config = testing::small_config();  // batches of 5: 20 steps per epoch
  config.checkpoint_dir = testing::scratch_dir("resumed-step-schedule");
  config.keep_checkpoints = 10;
  config.epochs = 1;
  SingleRankCommunicator alone;
  const Shard train = testing::synthetic_shard({0, samples});  // read in place: outlives the trainers
  const Shard test = testing::synthetic_shard({0, 16});
  Trainer(config, alone, train, samples, test).run(nullptr);
  ASSERT_EQ(checkpoint_names(config.checkpoint_dir), (std::vector<std::string>{"ckpt-e0001-s00000000.dpt"}));
  config.epochs = 2;
  config.checkpoint_every = "7steps";
  Trainer resumed(config, alone, train, samples, test);
  resumed.resume(config.checkpoint_dir + "/ckpt-e0001-s00000000.dpt");
  resumed.run(nullptr);
  EXPECT_EQ(checkpoint_names(config.checkpoint_dir),
            (std::vector<std::string>{"ckpt-e0001-s00000000.dpt", "ckpt-e0001-s00000001.dpt",
                                      "ckpt-e0001-s00000008.dpt", "ckpt-e0001-s00000015.dpt",
                                      "ckpt-e0002-s00000000.dpt"}));
  EXPECT_EQ(read_checkpoint_info(config.checkpoint_dir + "/ckpt-e0002-s00000000.dpt").job_steps, 40);
}

}  // namespace
}  // namespace dptrain
