#include "dptrain/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "dptrain/comm/fail_together.h"
#include "dptrain/data/atomic_file.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/shard.h"
#include "dptrain/metrics/peak_memory.h"
#include "dptrain/metrics/phase_clock.h"
#include "dptrain/model/checkpoint.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/evaluate.h"
#include "dptrain/train/lr_schedule.h"

namespace dptrain {
namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;
// Reading the loss back makes the host wait for the GPU, which must run ahead of it to be fast:
// on a GPU the loss is read (and checked for NaN) every this many steps and at the epoch's end.
constexpr std::int64_t kGpuStepsPerLossCheck = 200;
// Eager steps on the graph's stream before it is captured, so that cuBLAS and the autograd
// engine set up their handles and gradients outside the graph (as PyTorch advises).
constexpr int kGraphWarmUps = 3;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }
}

torch::Device training_device(const TrainConfig& config, Communicator& comm) {
  if (config.device != "cuda") return torch::kCPU;
  return cuda_device_of_local_rank(comm.local_rank());
}

std::unique_ptr<BucketTransport> make_transport(const TrainConfig& config, Communicator& comm,
                                                torch::Device device) {
  const TransportPrecision precision = parse_transport_precision(config.grad_dtype);
  if (device.is_cpu()) return make_host_transport(comm, precision, config.overlap);
  if (effective_backend(config) == "nccl") return make_nccl_transport(comm, device);
  return make_staged_transport(comm, device, precision);
}

// "nan" rather than std::to_string's "-nan" for a NaN whose sign bit happens to be set.
std::string loss_text(double loss) {
  if (std::isnan(loss)) return "nan";
  return std::isinf(loss) ? (loss > 0 ? "inf" : "-inf") : std::to_string(loss);
}

std::string divergence(double loss, int epoch, std::int64_t step, bool deferred) {
  return "training diverged: loss is " + loss_text(loss) + " at epoch " +
         std::to_string(epoch + 1) + (deferred ? " by step " : " step ") + std::to_string(step) +
         (deferred ? " (on a GPU the loss is checked every " + std::to_string(kGpuStepsPerLossCheck) +
                         " steps)"
                   : "") +
         " (try a smaller --lr)";
}

}  // namespace

Trainer::Trainer(const TrainConfig& config, Communicator& comm, const Shard& train,
                 std::int64_t train_samples, const Shard& test)
    : config_(config),
      comm_(comm),
      train_samples_(train_samples),
      steps_per_epoch_(dptrain::steps_per_epoch(train_samples, comm.size(), config.batch_size)),
      plan_(train_samples, comm.size(), config.batch_size, config.shuffle, config.seed, 0),
      device_(training_device(config, comm)),
      stream_(use_training_stream(device_)),
      batcher_(train, config.batch_size, device_),
      test_batches_(test_batches(test, device_)) {
  torch::manual_seed(config.seed);
  // Built and broadcast on the CPU, so a GPU run starts from the same parameters as a CPU run.
  model_ = make_model(config.model);
  // Every rank seeds identically, but a broadcast makes identical starts a guarantee rather
  // than a consequence of identical libraries on every node.
  broadcast_parameters(model_->parameters(), comm_);
  model_->to(device_);
  parameters_ = model_->parameters();
  GradientSyncOptions sync_options;
  sync_options.bucket_bytes = static_cast<std::size_t>(config.bucket_mb * kBytesPerMb);
  sync_options.overlap = config.overlap;  // the transport's precision comes with it
  // The ranks of a node hold the parameters once, and the reduction takes the SGD step: on
  // the CPU, where that memory is shared (GPU steps stay whole, and inside a CUDA graph).
  sync_options.sgd_step = device_.is_cpu();
  // Alone, there is nothing to sum: gradients stay LibTorch's own, which backward creates
  // without zeroing and accumulating, as in a plain PyTorch loop.
  if (comm_.size() > 1) {
    sync_ = std::make_unique<GradientSync>(model_->parameters(), make_transport(config, comm_, device_),
                                           sync_options);
  }
  const auto scalar = torch::TensorOptions().dtype(torch::kDouble).device(device_);
  epoch_loss_ = torch::zeros({}, scalar);
  if (device_.is_cuda()) loss_check_every_ = kGpuStepsPerLossCheck;
  if (uses_cuda_graphs(config, comm_.size())) replay_steps_with(make_step_graph(device_));
  optimizer_ = std::make_unique<torch::optim::SGD>(model_->parameters(),
                                                   torch::optim::SGDOptions(config.lr));
  if (!config.checkpoint_dir.empty()) {
    checkpointer_ = std::make_unique<Checkpointer>(config.checkpoint_dir, config.keep_checkpoints);
  }
  control_ = std::make_unique<RunControl>(comm_, checkpointer_ != nullptr,
                                          parse_checkpoint_every(config.checkpoint_every));
}

void Trainer::replay_steps_with(std::unique_ptr<StepGraph> graph) {
  graph_ = std::move(graph);
  graph_images_ = torch::zeros({config_.batch_size, 1, kImageSide, kImageSide},
                               torch::TensorOptions().dtype(torch::kUInt8).device(device_));
  graph_labels_ = torch::zeros({config_.batch_size}, torch::TensorOptions().dtype(torch::kLong).device(device_));
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

void Trainer::train_step(int epoch, std::int64_t step) {
  hang_if_asked(steps_done_);
  comm_.set_position(epoch, step);
  PhaseClock clock;
  // How far training is, in epochs: what the learning rate's warm-up follows.
  const double before = plan_.fraction_before();
  const double progress = epoch + before + (1.0 - before) * (static_cast<double>(step) / plan_.steps());
  const double lr = learning_rate(config_, comm_.size(), progress);
  set_learning_rate(*optimizer_, lr);
  const RawBatch batch = batcher_.raw_batch(step);
  const std::int64_t local = batch.labels.size(0);
  const std::int64_t global = plan_.global_batch(step);
  // Weighting the loss by this rank's share of the global batch makes the sum of the ranks'
  // gradients the gradient of the global batch's mean loss, at no cost: autograd applies the
  // factor once, to the [batch, 10] gradient of the loss. On one rank it is exactly 1. A
  // transport that averages divides by the ranks, which the weight makes up for.
  double weight = static_cast<double>(local) / static_cast<double>(global);
  if (sync_ && sync_->averages()) weight *= comm_.size();
  clock.lap(phases_.data);
  if (graph_ && graph_usable(local, global, progress, lr)) {
    graph_step(batch, weight, lr);
    clock.lap(phases_.forward);  // one launch for the whole step; the GPU's time shows where the host waits
  } else {
    compute_step(batch, weight, lr, phases_, clock);
  }
}

void Trainer::compute_step(const RawBatch& raw, double weight, double lr, PhaseSeconds& phases,
                           PhaseClock& clock) {
  if (sync_) {
    sync_->zero_grad();
    sync_->set_learning_rate(lr);
  } else {
    // Backward creates the gradients, as in a plain PyTorch loop. (Inside a CUDA graph they are
    // allocated once, at capture, in the graph's own memory, and rewritten by every replay.)
    for (auto& p : parameters_) p.mutable_grad().reset();
  }
  clock.lap(phases.optimizer);  // zeroing gradients is the optimizer's part, as in PyTorch
  const std::int64_t samples = raw.labels.size(0);
  if (samples > 0) {
    const Batch batch = Batcher::convert(raw);
    clock.lap(phases.data);
    torch::Tensor loss = torch::nn::functional::cross_entropy(model_->forward(batch.images), batch.labels);
    clock.lap(phases.forward);
    // A weight of exactly 1 (one rank, full batches) needs no multiplication: one kernel less.
    (weight == 1.0 ? loss : loss * weight).backward();
    epoch_loss_.add_(loss.detach(), static_cast<double>(samples));
  }
  // After the block: releasing the step's tensors is backward's time, not the wait for sums.
  clock.lap(phases.backward);
  if (sync_) {  // one rank waits for nothing: its record says 0
    sync_->finish();
    clock.lap(phases.communication);
  }
  if (!sync_ || !sync_->steps_parameters()) update_parameters(lr);
  clock.lap(phases.optimizer);
}

void Trainer::update_parameters(double lr) {
  // Plain SGD, p -= lr * grad, as LibTorch's SGD does it without momentum or weight decay, but
  // as one multi-tensor operation: a GPU runs one kernel for all parameters instead of one
  // each, and a CPU the same loop as SGD.
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  grads.reserve(parameters_.size());
  for (const auto& p : parameters_) grads.push_back(p.grad());
  at::_foreach_add_(parameters_, grads, -lr);
}

bool Trainer::graph_usable(std::int64_t local, std::int64_t global, double progress, double lr) const {
  // A graph replays fixed shapes, a fixed loss weight and a fixed learning rate: full batches on
  // every rank after the warm-up ramp.
  return local == config_.batch_size && global == global_batch(config_, comm_.size()) &&
         learning_rate_settled(config_, comm_.size(), progress) && (!graph_captured_ || lr == graph_lr_);
}

void Trainer::graph_step(const RawBatch& batch, double weight, double lr) {
  graph_images_.copy_(batch.images);
  graph_labels_.copy_(batch.labels);
  // Everything by value: a graph may keep the step (the CPU stand-in in the tests does).
  const auto step = [this, inputs = RawBatch{graph_images_, graph_labels_}, weight, lr] {
    PhaseSeconds ignored;  // the phases of a recorded step are not the host's to time
    PhaseClock clock;
    compute_step(inputs, weight, lr, ignored, clock);
  };
  if (graph_warm_ups_ < kGraphWarmUps) {
    graph_->warm_up(step);
    ++graph_warm_ups_;
    return;
  }
  if (!graph_captured_) {
    graph_->capture(step);  // records the step without running it
    graph_captured_ = true;
    graph_lr_ = lr;
  }
  graph_->replay();
  ++graph_steps_;
}

double Trainer::checked_epoch_loss(int epoch, std::int64_t step) {
  double loss = 0.0;
  const auto read_back = [&] { loss = epoch_loss_.item<double>(); };
  if (device_.is_cuda()) {
    // Waits for the steps queued on the GPU, NCCL averages included.
    comm_.watch_wait("waiting for the GPU's queued steps", read_back);
  } else {
    read_back();
  }
  // Noted, not thrown: the other ranks may not see it until the parameters are averaged, and
  // would wait for this one. The ranks agree on it between steps (RunControl) and at the
  // epoch's end, and leave together.
  if (!std::isfinite(loss) && failure_.empty()) failure_ = divergence(loss, epoch, step, device_.is_cuda());
  return loss;
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
  plan_ = EpochPlan(train_samples_, comm_.size(), config_.batch_size, config_.shuffle, config_.seed,
                    epoch, earlier_segments_);
  batcher_.start_epoch(plan_.order(comm_.rank()));
  phases_ = PhaseSeconds();
  comm_.barrier();  // epochs start together, so epoch time measures the slowest rank
  const auto start = std::chrono::steady_clock::now();
  double checkpoint_seconds = 0.0;  // within the epoch, left out of its time
  const std::int64_t first_step = position_.step;
  const bool partial = first_step > 0 || !earlier_segments_.empty();
  epoch_loss_.zero_();
  // The loss as last read back from the device, and the samples it covers.
  double loss_sum = 0.0, samples = 0.0, samples_in_loss = 0.0;
  const std::int64_t steps = plan_.steps();
  for (std::int64_t step = first_step; step < steps; ++step) {
    train_step(epoch, step);
    samples += static_cast<double>(batch_range(batcher_.epoch_size(), step, config_.batch_size).count);
    if ((step + 1 - first_step) % loss_check_every_ == 0 || step + 1 == steps) {
      loss_sum = checked_epoch_loss(epoch, step);
      samples_in_loss = samples;
    }
    if (reporter) {
      reporter->step({epoch + 1, step + 1, steps, step + 1 - first_step,
                      samples * comm_.size(), samples_in_loss > 0 ? loss_sum / samples_in_loss : 0.0,
                      seconds_since(start) - checkpoint_seconds});
    }
    position_ = step + 1 < steps ? TrainingPosition{epoch, step + 1} : TrainingPosition{epoch + 1, 0};
    if (step + 1 == steps) earlier_segments_.clear();  // a checkpoint here is of the next epoch, whole
    const StepDecision decision = control_->after_step(++steps_done_, !failure_.empty());
    if (decision == StepDecision::fail) fail_together(comm_, failure_);
    if (decision != StepDecision::proceed && checkpointer_) {
      // At the epoch's last step, after the epoch's record (Trainer::run).
      if (step + 1 == steps) {
        checkpoint_after_record_ = true;
      } else {
        checkpoint_seconds += save_checkpoint_within_epoch();
      }
    }
    if (decision == StepDecision::checkpoint_and_stop) {
      stop_agreed_ = true;
      // At the epoch's last step the epoch is whole: it is evaluated and reported like any
      // other, or its record would be missing from the metrics for good.
      if (step + 1 < steps) return false;
    }
  }
  fail_together(comm_, failure_);  // a divergence since the last agreement
  position_ = {epoch + 1, 0};  // also after an epoch with no steps left to run
  earlier_segments_.clear();
  metrics = finish_epoch(epoch, loss_sum, samples, seconds_since(start) - checkpoint_seconds);
  metrics.steps = steps - first_step;
  metrics.partial = partial;
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
  m.steps = plan_.steps();
  m.train_loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
  m.samples_per_second = m.epoch_seconds > 0 ? sums[1] / m.epoch_seconds : 0.0;
  m.learning_rate = learning_rate(config_, comm_.size(), epoch + 1.0);
  const Evaluation test = evaluate(model_, test_batches_, comm_);
  // The same on every rank. Catches what the training loss cannot: parameters made non-finite
  // by the epoch's last step.
  if (!std::isfinite(test.loss)) {
    fail_together(comm_, "training diverged: test loss is " + loss_text(test.loss) +
                             " after epoch " + std::to_string(epoch + 1) + " (try a smaller --lr)");
  }
  m.test_loss = test.loss;
  m.test_accuracy = test.accuracy;
  return m;
}

RunSummary Trainer::run(MetricsReporter* reporter) {
  RunSummary summary;
  summary.ranks = comm_.size();
  summary.threads = config_.threads;
  summary.global_batch = global_batch(config_, comm_.size());
  summary.model = config_.model;
  summary.device = device_.str();
  for (int epoch = position_.epoch; epoch < config_.epochs; ++epoch) {
    EpochMetrics m;
    if (!train_epoch(epoch, m, reporter)) {
      summary.stopped = true;
      break;
    }
    if (reporter) reporter->epoch(m);
    // The record before the checkpoint: a job killed between the two resumes from the checkpoint
    // before and trains and records the epoch again; the other way round the record was lost.
    if ((checkpoint_after_record_ || control_->checkpoint_due_after_epoch(epoch + 1)) &&
        !(last_checkpoint_position_ == position_)) {
      save_checkpoint();
    }
    checkpoint_after_record_ = false;
    summary.epochs = m.epoch;
    summary.total_samples += m.samples;
    summary.total_seconds += m.epoch_seconds;
    summary.total_allreduce_seconds += m.allreduce_seconds;
    summary.final_test_accuracy = m.test_accuracy;
    summary.final_test_loss = m.test_loss;
    if (stop_agreed_ && epoch + 1 < config_.epochs) {
      summary.stopped = true;
      break;
    }
  }
  if (summary.stopped) summary.stop_signal = control_->stop_signal();
  // The finished model is always worth a checkpoint: eval and longer runs start from it.
  if (checkpointer_ && !summary.stopped && !(last_checkpoint_position_ == position_)) save_checkpoint();
  if (summary.total_seconds > 0) summary.samples_per_second = summary.total_samples / summary.total_seconds;
  summary.peak_rss_mb = gather_peak_rss_mb(comm_);
  // A stopped run is not over: a summary would read as its result (0 epochs and 0 % before
  // the first epoch's end) and replace the metrics an earlier run left.
  if (reporter && !summary.stopped) reporter->summary(summary);
  return summary;
}

void save_model(torch::nn::Sequential& model, const std::string& path) {
  const torch::nn::Sequential saved = cpu_copy(model);
  // Serialized in memory first: LibTorch's file writer, on a full disk, throws again from its
  // destructor, which ends the process (std::terminate) instead of reporting the error.
  std::ostringstream archive;
  torch::save(saved, archive);
  const std::string bytes = archive.str();
  write_file_atomically(path, {bytes.begin(), bytes.end()});
}

}  // namespace dptrain
