#include "dptrain/train/trainer.h"

#include <sys/resource.h>

#include <chrono>
#include <filesystem>

#include "dptrain/data/shard.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/evaluate.h"
#include "dptrain/train/lr_schedule.h"

namespace dptrain {
namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }
}

// Peak resident memory of every rank: each should hold only its shard, whatever the job size.
Spread gather_peak_rss_mb(Communicator& comm) {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double mine = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
  std::vector<double> all(static_cast<std::size_t>(comm.size()));
  comm.allgather(&mine, 1, all.data());
  return spread_of(all);
}

}  // namespace

Trainer::Trainer(const TrainConfig& config, Communicator& comm, const Shard& train,
                 std::int64_t train_samples, const Shard& test)
    : config_(config),
      comm_(comm),
      test_(test),
      train_samples_(train_samples),
      steps_per_epoch_(dptrain::steps_per_epoch(train_samples, comm.size(), config.batch_size)),
      batcher_(train, config.batch_size) {
  torch::manual_seed(config.seed);
  model_ = make_model(config.model);
  // Every rank seeds identically, but a broadcast makes identical starts a guarantee rather
  // than a consequence of identical libraries on every node.
  broadcast_parameters(model_->parameters(), comm_);
  GradientSyncOptions sync_options;
  sync_options.bucket_bytes = static_cast<std::size_t>(config.bucket_mb * kBytesPerMb);
  sync_options.overlap = config.overlap;
  sync_options.precision = parse_transport_precision(config.grad_dtype);
  sync_ = std::make_unique<GradientSync>(model_->parameters(), comm_, sync_options);
  optimizer_ = std::make_unique<torch::optim::SGD>(model_->parameters(),
                                                   torch::optim::SGDOptions(config.lr));
}

double Trainer::train_step(int epoch, std::int64_t step) {
  auto mark = std::chrono::steady_clock::now();
  auto lap = [&mark](double& phase) {
    const auto now = std::chrono::steady_clock::now();
    phase += std::chrono::duration<double>(now - mark).count();
    mark = now;
  };
  const double progress = epoch + static_cast<double>(step) / steps_per_epoch_;
  set_learning_rate(*optimizer_, learning_rate(config_, comm_.size(), progress));
  const Batch batch = batcher_.batch(step);
  sync_->zero_grad();
  lap(phases_.data);
  double loss_sum = 0.0;
  if (batch.size() > 0) {
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(model_->forward(batch.images), batch.labels);
    lap(phases_.forward);
    // Weighting the loss by this rank's share of the global batch makes the sum of the ranks'
    // gradients the gradient of the global batch's mean loss, at no cost: autograd applies
    // the factor once, to the [batch, 10] gradient of the loss. On one rank it is exactly 1.
    const std::int64_t global =
        global_batch_samples(train_samples_, comm_.size(), config_.batch_size, step);
    (loss * (static_cast<double>(batch.size()) / static_cast<double>(global))).backward();
    loss_sum = loss.item<double>() * static_cast<double>(batch.size());
    lap(phases_.backward);
  }
  sync_->finish();
  lap(phases_.communication);
  optimizer_->step();
  lap(phases_.optimizer);
  return loss_sum;
}

PhaseReport Trainer::gather_phases() {
  const double mine[5] = {phases_.data, phases_.forward, phases_.backward, phases_.communication,
                          phases_.optimizer};
  std::vector<double> all(5 * static_cast<std::size_t>(comm_.size()));
  comm_.allgather(mine, 5, all.data());
  std::vector<PhaseSeconds> per_rank(static_cast<std::size_t>(comm_.size()));
  for (std::size_t r = 0; r < per_rank.size(); ++r) {
    per_rank[r] = {all[5 * r], all[5 * r + 1], all[5 * r + 2], all[5 * r + 3], all[5 * r + 4]};
  }
  return summarize_phases(per_rank);
}

EpochMetrics Trainer::train_epoch(int epoch) {
  batcher_.start_epoch(config_.shuffle, config_.seed, epoch);
  phases_ = PhaseSeconds();
  comm_.barrier();  // epochs start together, so epoch time measures the slowest rank
  const auto start = std::chrono::steady_clock::now();
  double sums[2] = {0.0, 0.0};  // loss over samples, samples
  for (std::int64_t step = 0; step < steps_per_epoch_; ++step) {
    sums[0] += train_step(epoch, step);
  }
  sums[1] = static_cast<double>(batcher_.shard_size());
  EpochMetrics m;
  m.epoch = epoch + 1;
  m.epoch_seconds = comm_.allreduce_max(seconds_since(start));
  m.ranks = comm_.size();
  m.phases = gather_phases();
  m.allreduce_seconds = m.phases.communication.max;
  comm_.allreduce_sum(sums, 2);
  m.samples = static_cast<std::int64_t>(sums[1]);
  m.steps = steps_per_epoch_;
  m.train_loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
  m.samples_per_second = m.epoch_seconds > 0 ? sums[1] / m.epoch_seconds : 0.0;
  m.learning_rate = learning_rate(config_, comm_.size(), epoch + 1.0);
  const Evaluation test = evaluate(model_, test_, comm_);
  m.test_loss = test.loss;
  m.test_accuracy = test.accuracy;
  return m;
}

RunSummary Trainer::run(MetricsReporter* reporter) {
  RunSummary summary;
  summary.ranks = comm_.size();
  summary.threads = config_.threads;
  summary.global_batch = config_.batch_size * comm_.size();
  summary.model = config_.model;
  for (int epoch = 0; epoch < config_.epochs; ++epoch) {
    const EpochMetrics m = train_epoch(epoch);
    if (reporter) reporter->epoch(m);
    summary.epochs = m.epoch;
    summary.total_samples += m.samples;
    summary.total_seconds += m.epoch_seconds;
    summary.total_allreduce_seconds += m.allreduce_seconds;
    summary.final_test_accuracy = m.test_accuracy;
    summary.final_test_loss = m.test_loss;
  }
  if (summary.total_seconds > 0) summary.samples_per_second = summary.total_samples / summary.total_seconds;
  summary.peak_rss_mb = gather_peak_rss_mb(comm_);
  if (reporter) reporter->summary(summary);
  return summary;
}

void save_model(torch::nn::Sequential& model, const std::string& path) {
  const std::string temporary = path + ".tmp";
  torch::save(model, temporary);
  std::filesystem::rename(temporary, path);
}

}  // namespace dptrain
