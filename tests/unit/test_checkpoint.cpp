// Loading what `dptrain train --out-dir` saved, refusing checkpoints of other models, and
// predictions of a model whose answer is known.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "../support/error_of.h"
#include "../support/scratch_dir.h"
#include "../support/synthetic.h"
#include "dptrain/checkpoint/checkpointer.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/error.h"
#include "dptrain/metrics/confusion.h"
#include "dptrain/model/checkpoint.h"
#include "dptrain/model/linear.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/predict.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

using testing::error_of;

// The quickstart MLP answering `answer` for every image: last layer's weights zero, its bias
// one-hot.
torch::nn::Sequential constant_model(int answer) {
  torch::nn::Sequential model = make_model("quickstart-mlp");
  torch::NoGradGuard no_grad;
  auto last = model->ptr<LinearImpl>(5);
  last->weight.zero_();
  last->bias.zero_();
  last->bias[answer] = 1.0;
  return model;
}

TEST(Checkpoint, LoadsTheParametersThatWereSaved) {
  const std::string dir = testing::scratch_dir("checkpoint");
  torch::manual_seed(3);
  torch::nn::Sequential saved = make_model("quickstart-mlp");
  save_model(saved, dir + "/model.pt");
  torch::manual_seed(4);  // a different start: only loading can make them equal
  torch::nn::Sequential loaded = load_model("quickstart-mlp", dir + "/model.pt");
  EXPECT_FALSE(loaded->is_training());
  const auto a = saved->parameters(), b = loaded->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
}

// A full disk while model.pt is written (a file size limit stands in for it, in a child
// process): an Error naming model.pt, and no file left, where LibTorch's own file writer threw
// again from its destructor and ended the process.
TEST(CheckpointDeathTest, FullDiskWhileSavingAModelIsAnErrorNamingIt) {
  const std::string dir = testing::scratch_dir("checkpoint-full-disk");
  torch::nn::Sequential model = make_model("quickstart-mlp");
  const auto save_past_a_file_size_limit = [&] {
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails (EFBIG)
    const rlimit limit{64 << 10, 64 << 10};
    setrlimit(RLIMIT_FSIZE, &limit);
    std::cerr << error_of([&] { save_model(model, dir + "/model.pt"); });
    _exit(3);
  };
  EXPECT_EXIT(save_past_a_file_size_limit(), ::testing::ExitedWithCode(3),
              "/model.pt: write failed \\(disk full\\?\\)");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(Checkpoint, LoadsTheModelOfATrainingCheckpoint) {
  const std::string dir = testing::scratch_dir("checkpoint-dpt");
  torch::manual_seed(5);
  torch::nn::Sequential saved = make_model("quickstart-mlp");
  torch::optim::SGD optimizer(saved->parameters(), torch::optim::SGDOptions(0.1));
  CheckpointInfo info;
  info.position = {2, 17};
  const std::string path = Checkpointer(dir, 2).save(saved, optimizer, info);
  torch::manual_seed(6);
  torch::nn::Sequential loaded = load_model("quickstart-mlp", path);
  const auto a = saved->parameters(), b = loaded->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_NE(error_of([&] { load_model("wide-mlp", path); }).find("not a checkpoint of model 'wide-mlp'"),
            std::string::npos);
  // A damaged training checkpoint is refused by its checksum before LibTorch reads it.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
  EXPECT_NE(error_of([&] { load_model("quickstart-mlp", path); }).find(path + ": "), std::string::npos);
}

// An epoch trained in turns by several layouts: the checkpoint keeps the earlier turns, and
// its name counts the steps of all of them, so that the newest checkpoint is the one furthest
// into the epoch even when the latest layout has run fewer steps than an earlier one.
TEST(Checkpoint, KeepsTheEarlierSegmentsOfTheEpochAndSortsByAllTheirSteps) {
  const std::string dir = testing::scratch_dir("checkpoint-segments");
  torch::nn::Sequential model = make_model("quickstart-mlp");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  Checkpointer checkpointer(dir, 5);
  CheckpointInfo first;
  first.position = {1, 30};
  first.ranks = 3;
  checkpointer.save(model, optimizer, first);
  CheckpointInfo later;
  later.position = {1, 10};
  later.ranks = 2;
  later.earlier_segments = {{3, 30}};
  later.job_steps = 1234;
  const std::string path = checkpointer.save(model, optimizer, later);
  EXPECT_EQ(std::filesystem::path(path).filename(), "ckpt-e0001-s00000040.dpt");
  EXPECT_EQ(checkpointer.newest_valid(nullptr), path);
  const CheckpointInfo read = read_checkpoint_info(path);
  EXPECT_EQ(read.position, later.position);
  EXPECT_EQ(read.ranks, 2);
  EXPECT_EQ(read.earlier_segments, later.earlier_segments);
  EXPECT_EQ(read.job_steps, 1234);
}

// Pruning keeps the newest files up to the one just written: a file named after a later
// position (a damaged one the resume skipped) neither counts nor is deleted, so the run's own
// checkpoints survive it.
TEST(Checkpoint, KeepsItsOwnNewestWhenALaterFileIsThere) {
  const std::string dir = testing::scratch_dir("checkpoint-prune");
  torch::nn::Sequential model = make_model("quickstart-mlp");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  const std::filesystem::path damaged = std::filesystem::path(dir) / "ckpt-e0000-s00001500.dpt";
  std::ofstream(damaged) << "not a checkpoint";
  Checkpointer checkpointer(dir, 1);
  CheckpointInfo info;
  info.position = {0, 500};
  checkpointer.save(model, optimizer, info);
  info.position = {0, 600};
  const std::string newest = checkpointer.save(model, optimizer, info);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    left.push_back(entry.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"ckpt-e0000-s00000600.dpt", "ckpt-e0000-s00001500.dpt"}));
  EXPECT_EQ(checkpointer.newest_valid(nullptr), newest);
  EXPECT_EQ(checkpointer.newest_file(), damaged.string());
}

TEST(Checkpoint, RefusesCheckpointsOfOtherModels) {
  const std::string dir = testing::scratch_dir("checkpoint-other");
  torch::nn::Sequential quickstart = make_model("quickstart-mlp");
  save_model(quickstart, dir + "/model.pt");
  // Same layer names, other sizes: torch::load alone would accept it.
  const std::string wide = error_of([&] { load_model("wide-mlp", dir + "/model.pt"); });
  EXPECT_NE(wide.find(dir + "/model.pt: not a checkpoint of model 'wide-mlp'"), std::string::npos)
      << wide;
  EXPECT_NE(wide.find("[2048,784]"), std::string::npos) << wide;
  const std::string cnn = error_of([&] { load_model("small-cnn", dir + "/model.pt"); });
  EXPECT_NE(cnn.find("not a checkpoint of model 'small-cnn'"), std::string::npos) << cnn;
}

TEST(Checkpoint, MissingOrBrokenFilesAreNamed) {
  const std::string dir = testing::scratch_dir("checkpoint-broken");
  EXPECT_NE(error_of([&] { load_model("quickstart-mlp", dir + "/absent.pt"); })
                .find(dir + "/absent.pt: no such checkpoint"),
            std::string::npos);
  std::ofstream(dir + "/text.pt") << "not a checkpoint\n";
  EXPECT_NE(error_of([&] { load_model("quickstart-mlp", dir + "/text.pt"); })
                .find(dir + "/text.pt: not a checkpoint of model 'quickstart-mlp'"),
            std::string::npos);
}

TEST(Predict, GivesTheModelsAnswerForEverySample) {
  const Shard shard = testing::synthetic_shard({0, 2345});  // more than one batch of 1000
  torch::nn::Sequential model = constant_model(7);
  model->train();
  const std::vector<int> predicted = predict(model, shard);
  ASSERT_EQ(predicted.size(), 2345u);
  for (int p : predicted) ASSERT_EQ(p, 7);
  EXPECT_TRUE(model->is_training()) << "predict restores the mode it found";
}

TEST(Predict, ConfusionOfAConstantModelIsItsColumn) {
  const Shard shard = testing::synthetic_shard({0, 500});
  torch::nn::Sequential model = constant_model(2);
  const auto& n = fashion_mnist_classes();
  const ConfusionMatrix m = confusion_matrix(shard.labels, predict(model, shard), {n.begin(), n.end()});
  std::int64_t twos = 0;
  for (std::uint8_t label : shard.labels) twos += label == 2;
  for (int t = 0; t < kNumClasses; ++t) {
    EXPECT_EQ(m.count(t, 2), m.class_total(t)) << "every sample of class " << t << " predicted as 2";
  }
  EXPECT_EQ(m.correct(), twos);
  EXPECT_DOUBLE_EQ(m.accuracy(), static_cast<double>(twos) / 500.0);
  EXPECT_DOUBLE_EQ(m.class_accuracy(2), 1.0);
  EXPECT_DOUBLE_EQ(m.class_accuracy(3), 0.0);
}

TEST(Predict, ASavedAndLoadedModelPredictsTheSame) {
  const std::string dir = testing::scratch_dir("checkpoint-predict");
  torch::nn::Sequential model = constant_model(4);
  save_model(model, dir + "/model.pt");
  torch::nn::Sequential loaded = load_model("quickstart-mlp", dir + "/model.pt");
  const Shard shard = testing::synthetic_shard({0, 50});
  EXPECT_EQ(predict(loaded, shard), std::vector<int>(50, 4));
}

}  // namespace
}  // namespace dptrain
