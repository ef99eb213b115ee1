#include "dptrain/train/trainer.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "dptrain/data/atomic_file.h"
#include "dptrain/data/shard.h"
#include "dptrain/error.h"
#include "dptrain/train/fingerprint.h"
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
  // Alone, there is nothing to sum: gradients stay LibTorch's own, which backward creates
  // without zeroing and accumulating, as in a plain PyTorch loop.
  if (comm_.size() > 1) {
    sync_ = std::make_unique<GradientSync>(model_->parameters(), comm_, sync_options);
  }
  optimizer_ = std::make_unique<torch::optim::SGD>(model_->parameters(),
                                                   torch::optim::SGDOptions(config.lr));
  if (!config.checkpoint_dir.empty()) {
    checkpointer_ = std::make_unique<Checkpointer>(config.checkpoint_dir, config.keep_checkpoints);
  }
  control_ = std::make_unique<RunControl>(comm_, checkpointer_ != nullptr,
                                          parse_checkpoint_every(config.checkpoint_every));
}

std::string Trainer::resume(const std::string& path) {
  const CheckpointInfo info = load_checkpoint(path, model_, *optimizer_);
  const auto differences =
      fingerprint_differences(info.fingerprint, training_fingerprint(config_, model_, train_samples_));
  if (!differences.empty()) {
    std::string text;
    for (const auto& d : differences) text += (text.empty() ? "" : "; ") + d;
    throw Error(path + ": checkpoint of a different run (checkpoint vs this run: " + text + ")");
  }
  position_ = info.position;
  std::string note = "resumed from " + path + " at epoch " + std::to_string(position_.epoch + 1) +
                     " step " + std::to_string(position_.step);
  if (info.ranks != comm_.size() && position_.step > 0) {
    note += " (written by " + std::to_string(info.ranks) + " ranks: epoch " +
            std::to_string(position_.epoch + 1) + " restarts from its first step)";
    position_.step = 0;
  }
  return note;
}

void Trainer::save_checkpoint() {
  if (comm_.rank() == 0) {
    CheckpointInfo info;
    info.position = position_;
    info.ranks = comm_.size();
    info.fingerprint = training_fingerprint(config_, model_, train_samples_);
    last_checkpoint_ = checkpointer_->save(model_, *optimizer_, info);
  }
  last_checkpoint_position_ = position_;
  control_->checkpoint_written();
}

// Fault injection for the test suite: DPTRAIN_TEST_HANG_AT=RANK:STEP makes that rank stop
// responding before that step, as a rank stuck in I/O or a driver would.
void Trainer::hang_if_asked(std::int64_t steps_done) const {
  static const char* spec = std::getenv("DPTRAIN_TEST_HANG_AT");
  if (!spec) return;
  int rank = -1;
  long long step = -1;
  if (std::sscanf(spec, "%d:%lld", &rank, &step) == 2 && rank == comm_.rank() && step == steps_done) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

double Trainer::train_step(int epoch, std::int64_t step) {
  hang_if_asked(steps_done_);
  comm_.set_position(epoch, step);
  auto mark = std::chrono::steady_clock::now();
  auto lap = [&mark](double& phase) {
    const auto now = std::chrono::steady_clock::now();
    phase += std::chrono::duration<double>(now - mark).count();
    mark = now;
  };
  const double progress = epoch + static_cast<double>(step) / steps_per_epoch_;
  set_learning_rate(*optimizer_, learning_rate(config_, comm_.size(), progress));
  const Batch batch = batcher_.batch(step);
  if (sync_) {
    sync_->zero_grad();
  } else {
    for (auto& p : model_->parameters()) p.mutable_grad().reset();
  }
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
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      throw Error("training diverged: loss is " + std::to_string(value) + " at epoch " +
                  std::to_string(epoch + 1) + " step " + std::to_string(step) +
                  " (try a smaller --lr)");
    }
    loss_sum = value * static_cast<double>(batch.size());
    lap(phases_.backward);
  }
  if (sync_) sync_->finish();
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

bool Trainer::train_epoch(int epoch, EpochMetrics& metrics, MetricsReporter* reporter) {
  batcher_.start_epoch(config_.shuffle, config_.seed, epoch);
  phases_ = PhaseSeconds();
  comm_.barrier();  // epochs start together, so epoch time measures the slowest rank
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t first_step = position_.step;
  double loss_sum = 0.0, samples = 0.0;
  for (std::int64_t step = first_step; step < steps_per_epoch_; ++step) {
    loss_sum += train_step(epoch, step);
    samples += static_cast<double>(batch_range(batcher_.shard_size(), step, config_.batch_size).count);
    if (reporter) {
      reporter->step({epoch + 1, step + 1, steps_per_epoch_, step + 1 - first_step,
                      samples * comm_.size(), samples > 0 ? loss_sum / samples : 0.0,
                      seconds_since(start)});
    }
    position_ = step + 1 < steps_per_epoch_ ? TrainingPosition{epoch, step + 1}
                                            : TrainingPosition{epoch + 1, 0};
    const StepDecision decision = control_->after_step(++steps_done_);
    if (decision != StepDecision::proceed && checkpointer_) save_checkpoint();
    if (decision == StepDecision::checkpoint_and_stop) return false;
  }
  metrics = finish_epoch(epoch, loss_sum, samples, seconds_since(start));
  return true;
}

EpochMetrics Trainer::finish_epoch(int epoch, double loss_sum, double samples, double seconds) {
  double sums[2] = {loss_sum, samples};
  EpochMetrics m;
  m.epoch = epoch + 1;
  m.epoch_seconds = comm_.allreduce_max(seconds);
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
  for (int epoch = position_.epoch; epoch < config_.epochs; ++epoch) {
    EpochMetrics m;
    if (!train_epoch(epoch, m, reporter)) {
      summary.stopped = true;
      break;
    }
    if (control_->checkpoint_due_after_epoch(epoch + 1) && !(last_checkpoint_position_ == position_)) {
      save_checkpoint();
    }
    if (reporter) reporter->epoch(m);
    summary.epochs = m.epoch;
    summary.total_samples += m.samples;
    summary.total_seconds += m.epoch_seconds;
    summary.total_allreduce_seconds += m.allreduce_seconds;
    summary.final_test_accuracy = m.test_accuracy;
    summary.final_test_loss = m.test_loss;
  }
  // The finished model is always worth a checkpoint: eval and longer runs start from it.
  if (checkpointer_ && !summary.stopped && !(last_checkpoint_position_ == position_)) save_checkpoint();
  if (summary.total_seconds > 0) summary.samples_per_second = summary.total_samples / summary.total_seconds;
  summary.peak_rss_mb = gather_peak_rss_mb(comm_);
  if (reporter) reporter->summary(summary);
  return summary;
}

void save_model(torch::nn::Sequential& model, const std::string& path) {
  replace_atomically(path, [&](const std::string& temporary) { torch::save(model, temporary); });
}

}  // namespace dptrain
