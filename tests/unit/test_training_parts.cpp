// One-process tests of the pieces the trainer wires together.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/error_of.h"
#include "../support/idx_files.h"
#include "../support/small_config.h"
#include "../support/synthetic.h"
#include "dptrain/comm/allreduce_bench.h"
#include "dptrain/comm/gradient_sync.h"
#include "dptrain/error.h"
#include "dptrain/metrics/metrics.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/batcher.h"
#include "dptrain/train/heap.h"
#include "dptrain/train/lr_schedule.h"
#include "dptrain/train/run_control.h"
#include "dptrain/train/threads.h"
#include "dptrain/train/fingerprint.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

TEST(GradientSync, GradientsAreViewsIntoBucketsThroughBackward) {
  torch::manual_seed(0);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  SingleRankCommunicator comm;
  GradientSyncOptions options;
  options.bucket_bytes = 1 << 20;  // 1 MiB: the 784x512 weight alone is 1.5
  GradientSync sync(model->parameters(), comm, options);
  EXPECT_GE(sync.bucket_count(), 2u);
  std::size_t elements = 0;
  for (std::size_t b = 0; b < sync.bucket_count(); ++b) elements += sync.bucket_elements(b);
  std::size_t parameters = 0;
  std::vector<void*> addresses;
  for (const auto& p : model->parameters()) {
    parameters += static_cast<std::size_t>(p.numel());
    addresses.push_back(p.grad().data_ptr());
  }
  EXPECT_EQ(elements, parameters);

  // The same model without GradientSync: its gradients are autograd's own.
  torch::manual_seed(0);
  torch::nn::Sequential plain = make_model("quickstart-mlp");
  const Shard shard = testing::synthetic_shard({0, 16});
  const Batcher batcher(shard, 8);
  for (std::int64_t step = 0; step < 2; ++step) {  // the second step writes over the first's
    const Batch batch = batcher.batch(step);
    sync.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
    sync.finish();  // one rank: the sum is the gradient itself
    for (auto& p : plain->parameters()) p.mutable_grad().reset();
    torch::nn::functional::cross_entropy(plain->forward(batch.images), batch.labels).backward();
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      const torch::Tensor mine = model->parameters()[i].grad();
      EXPECT_EQ(mine.data_ptr(), addresses[i]) << "backward replaced a gradient buffer";
      EXPECT_TRUE(torch::equal(mine, plain->parameters()[i].grad())) << "step " << step << ", parameter " << i;
    }
  }
  // A step without backward (a rank with no samples) contributes zeros.
  sync.zero_grad();
  sync.finish();
  for (const auto& p : model->parameters()) EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
}

TEST(GradientSync, GradientsStillGoToTheBucketsAfterLoadingParameters) {
  // Resuming loads a checkpoint into a model whose GradientSync is already made.
  torch::manual_seed(0);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  SingleRankCommunicator comm;
  GradientSync sync(model->parameters(), comm, GradientSyncOptions{});
  torch::manual_seed(1);
  torch::nn::Sequential saved = make_model("quickstart-mlp");
  std::stringstream bytes;
  torch::serialize::OutputArchive out;
  saved->save(out);
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  model->load(in);  // drops each parameter's gradient accumulator, and hooks with it

  const Batcher batcher(testing::synthetic_shard({0, 16}), 8);
  for (std::int64_t step = 0; step < 2; ++step) {
    const Batch batch = batcher.batch(step);
    sync.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
    sync.finish();
    for (auto& p : saved->parameters()) p.mutable_grad().reset();
    torch::nn::functional::cross_entropy(saved->forward(batch.images), batch.labels).backward();
    for (std::size_t i = 0; i < saved->parameters().size(); ++i) {
      EXPECT_TRUE(torch::equal(model->parameters()[i].grad(), saved->parameters()[i].grad()))
          << "step " << step << ", parameter " << i;
    }
  }
}

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

// Two configurations' differences, as a refused resume and ranks that disagree show them: the
// model alone when the models differ (their parameter shapes follow from it).
TEST(Fingerprint, DifferencesNameWhatDiffersOnce) {
  TrainConfig mlp = testing::small_config();
  mlp.model = "quickstart-mlp";
  TrainConfig cnn = mlp;
  cnn.model = "small-cnn";
  cnn.lr = mlp.lr * 2;
  torch::nn::Sequential mlp_model = make_model(mlp.model), cnn_model = make_model(cnn.model);
  const auto differences = fingerprint_differences(training_fingerprint(mlp, mlp_model, 100),
                                                   training_fingerprint(cnn, cnn_model, 100));
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].rfind("lr: ", 0), 0u) << differences[0];
  EXPECT_EQ(differences[1], "model: quickstart-mlp vs small-cnn");

  torch::nn::Sequential wide = make_model("wide-mlp");
  const auto shapes = fingerprint_differences(training_fingerprint(mlp, mlp_model, 100),
                                              training_fingerprint(mlp, wide, 100));
  ASSERT_EQ(shapes.size(), 1u) << "the same model name with other shapes still differs";
  EXPECT_EQ(shapes[0].rfind("parameters: ", 0), 0u) << shapes[0];
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

TEST(ModelRegistry, BuildsTheQuickstartMlpAndRejectsUnknownNames) {
  torch::nn::Sequential model = make_model("quickstart-mlp");
  std::int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
  EXPECT_EQ(model->forward(torch::zeros({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 10}));
  EXPECT_THROW(make_model("resnet-9000"), Error);
  for (const std::string& name : model_names()) {
    EXPECT_EQ(make_model(name)->forward(torch::zeros({3, 1, 28, 28})).sizes(),
              (torch::IntArrayRef{3, 10}))
        << name;
  }
}

TEST(Threads, WarnsOnlyWhenRanksTimesThreadsExceedCores) {
  EXPECT_EQ(oversubscription_warning(2, 1, 2), "");
  EXPECT_EQ(oversubscription_warning(48, 4, 192), "");
  const std::string warning = oversubscription_warning(2, 2, 2);
  EXPECT_NE(warning.find("2 ranks x 2 threads on a node with 2 cores"), std::string::npos);
  EXPECT_NE(warning.find("--threads 1"), std::string::npos);
  EXPECT_NE(oversubscription_warning(192, 2, 192).find("--threads 1"), std::string::npos);
}

TEST(Threads, CountsTheCoresSlurmGaveTheJobOnTheNode) {
  const char* before = std::getenv("SLURM_CPUS_ON_NODE");
  const std::string saved = before ? before : "";
  unsetenv("SLURM_CPUS_ON_NODE");
  const int all = node_core_count();
  EXPECT_GE(all, 1);
  setenv("SLURM_CPUS_ON_NODE", "24", 1);
  EXPECT_EQ(node_core_count(), 24);
  setenv("SLURM_CPUS_ON_NODE", "none", 1);
  EXPECT_EQ(node_core_count(), all);
  if (before) {
    setenv("SLURM_CPUS_ON_NODE", saved.c_str(), 1);
  } else {
    unsetenv("SLURM_CPUS_ON_NODE");
  }
}

TEST(Heap, ReusesAFreedLargeBlockWithoutFreshPages) {
  // 48 MiB is beyond glibc's own adaptive limit: by default every such block is mapped afresh
  // (12 288 page faults each time it is written); kept in the heap, the second one reuses the first.
  constexpr std::size_t kBytes = 48u << 20;
  const auto write_block = [] {
    char* volatile block = static_cast<char*>(std::malloc(kBytes));
    ASSERT_NE(block, nullptr);
    std::memset(block, 1, kBytes);
    std::free(block);
  };
  const auto page_faults = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
  };
  keep_freed_memory_for_reuse();
  write_block();
  const long before = page_faults();
  write_block();
  EXPECT_LT(page_faults() - before, 1000);
}

TEST(PhaseReport, FindsMedianAndStraggler) {
  const Spread s = spread_of({3.0, 1.0, 7.0, 2.0});
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.max, 7.0);
  EXPECT_EQ(s.slowest_rank, 2);
  // Synchronous ranks: the straggler computes longest, and the others wait for it, so every
  // total is the same and the rank that waits longest is a fast one.
  PhaseSeconds fast, slow;
  fast.forward = 1.0;
  fast.communication = 0.5;
  slow.forward = 1.4;
  slow.communication = 0.1;
  const PhaseReport report = summarize_phases({fast, fast, slow, fast});
  EXPECT_EQ(report.straggler(), 2);
  EXPECT_DOUBLE_EQ(report.working.max, 1.4);
  EXPECT_DOUBLE_EQ(report.communication.max, 0.5);
  EXPECT_DOUBLE_EQ(report.total.median, 1.5);
  EXPECT_DOUBLE_EQ(report.total.max, 1.5);
}

// Counts the agreements of RunControl: each one is an allreduce_max.
// Sums correctly (one rank: the values stay as they are) except in one allreduce, where one
// element comes out wrong.
class OnceWrongCommunicator : public SingleRankCommunicator {
 public:
  explicit OnceWrongCommunicator(int wrong_call) : wrong_call_(wrong_call) {}
  void allreduce_sum(float* values, std::size_t count, TransportPrecision) override {
    if (++calls == wrong_call_ && count > 0) values[count - 1] += 1.0f;
  }
  using SingleRankCommunicator::allreduce_sum;
  int calls = 0;

 private:
  int wrong_call_;
};

TEST(AllreduceBench, ChecksEveryTimedResult) {
  for (TransportPrecision precision : {TransportPrecision::fp32, TransportPrecision::bf16}) {
    AllreduceBenchOptions options;
    options.min_bytes = options.max_bytes = 4096;
    options.warmup = 2;
    options.seconds_per_size = 0.001;
    options.precision = precision;
    OnceWrongCommunicator right(0);
    EXPECT_EQ(bench_allreduce(right, options).at(0).wrong, 0u) << to_string(precision);
    // 2 warm-ups and 1 allreduce that sizes the timed loop; the 4th is the first timed one.
    OnceWrongCommunicator wrong_when_timed(options.warmup + 2);
    const auto samples = bench_allreduce(wrong_when_timed, options);
    EXPECT_GT(wrong_when_timed.calls, options.warmup + 2);
    EXPECT_EQ(samples.at(0).wrong, 1u) << to_string(precision);
  }
}

class CountingCommunicator : public SingleRankCommunicator {
 public:
  int allreduce_max(int value) override {
    ++agreements;
    return value;
  }
  using SingleRankCommunicator::allreduce_max;
  int agreements = 0;
};

// The job steps after which `control` decided anything but `proceed`, over job steps
// first..last of `step_time` each.
std::vector<std::int64_t> decisions(RunControl& control, std::int64_t last,
                                    std::chrono::milliseconds step_time, std::int64_t first = 1) {
  std::vector<std::int64_t> at;
  for (std::int64_t done = first; done <= last; ++done) {
    std::this_thread::sleep_for(step_time);
    if (control.after_step(done) != StepDecision::proceed) at.push_back(done);
  }
  return at;
}

TEST(RunControl, FastStepsShareOneAgreementAmongMany) {
  CountingCommunicator comm;
  // A time-based checkpoint due at once: rank 0 asks for one at every agreement.
  RunControl control(comm, true, {CheckpointEvery::Unit::seconds, 0.0});
  const auto at = decisions(control, 3000, std::chrono::milliseconds(0));
  EXPECT_GE(comm.agreements, 3);
  EXPECT_LE(comm.agreements, 100);  // not one per step
  EXPECT_EQ(static_cast<int>(at.size()), comm.agreements);
  EXPECT_EQ(at.front(), 1);
}

TEST(RunControl, SlowStepsAgreeWithinTheAgreementPeriod) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::seconds, 0.0});
  // 10 ms steps: at most 0.05 s / 10 ms = 5 steps between agreements.
  const auto at = decisions(control, 20, std::chrono::milliseconds(10));
  ASSERT_GE(at.size(), 4u);
  for (std::size_t i = 1; i < at.size(); ++i) EXPECT_LE(at[i] - at[i - 1], 5);
  EXPECT_GT(at.back(), 15);
}

TEST(RunControl, StepCheckpointsFallOnTheirExactSteps) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::steps, 7.0});
  const auto at = decisions(control, 30, std::chrono::milliseconds(0));
  EXPECT_EQ(at, (std::vector<std::int64_t>{7, 14, 21, 28}));
}

// A rank whose loss diverged asks every rank to stop, at the next agreement, before anything
// else that is due (here a checkpoint at every step).
TEST(RunControl, ADivergedRankStopsEveryRankAtTheNextAgreement) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::steps, 1.0});
  EXPECT_EQ(control.after_step(1, true), StepDecision::fail);  // the first step is an agreement
  EXPECT_EQ(comm.agreements, 1);
}

// A job stopped after 10 steps and resumed: its step checkpoints still fall on multiples of 7
// of the job's steps, not 7 steps after the resume.
TEST(RunControl, StepCheckpointsOfAResumedJobKeepTheirSchedule) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::steps, 7.0});
  control.continue_job(10);
  const auto at = decisions(control, 30, std::chrono::milliseconds(0), 11);
  EXPECT_EQ(at, (std::vector<std::int64_t>{14, 21, 28}));
}

}  // namespace
}  // namespace dptrain
