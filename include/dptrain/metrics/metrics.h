// What a run reports: one record per epoch and a summary at the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dptrain {

// Seconds one rank spent in each part of the training steps of an epoch.
struct PhaseSeconds {
  double data = 0.0;           // slicing and converting batches
  double forward = 0.0;        // model and loss
  double backward = 0.0;       // gradients (buckets start reducing meanwhile, with overlap)
  double communication = 0.0;  // waiting for gradient sums after backward
  double optimizer = 0.0;      // zeroing the gradients and updating the parameters
  double working() const { return data + forward + backward + optimizer; }
  double total() const { return working() + communication; }
};

// One quantity across ranks.
struct Spread {
  double min = 0.0;
  double median = 0.0;
  double max = 0.0;
  int slowest_rank = 0;  // the rank with the maximum
};

Spread spread_of(const std::vector<double>& per_rank);

// Each phase across ranks. Ranks wait for each other at every step, so their totals come out
// about equal and the straggler is the rank that works longest and waits least:
// `working.slowest_rank`.
struct PhaseReport {
  Spread data, forward, backward, communication, optimizer, working, total;
  int straggler() const { return working.slowest_rank; }
};

PhaseReport summarize_phases(const std::vector<PhaseSeconds>& per_rank);

struct EpochMetrics {
  int epoch = 0;                    // 1-based, like the quickstart's output
  double train_loss = 0.0;          // mean over the epoch's training samples
  double test_loss = 0.0;           // mean over the test set
  double test_accuracy = 0.0;       // 0..1
  double epoch_seconds = 0.0;       // training only, evaluation excluded
  double samples_per_second = 0.0;  // all ranks together
  double allreduce_seconds = 0.0;   // time in gradient averaging (slowest rank)
  double learning_rate = 0.0;       // at the end of the epoch
  std::int64_t samples = 0;         // training samples in the epoch, all ranks
  std::int64_t steps = 0;           // steps run in the epoch
  // Resumed from a checkpoint inside the epoch: the record covers only the part run after it.
  bool partial = false;
  int ranks = 1;
  PhaseReport phases;               // per-rank time breakdown
};

struct RunSummary {
  int ranks = 1;
  int threads = 1;
  std::int64_t global_batch = 0;    // batch × ranks
  int epochs = 0;
  std::int64_t total_samples = 0;
  double total_seconds = 0.0;       // sum of epoch_seconds
  double total_allreduce_seconds = 0.0;
  double samples_per_second = 0.0;  // total_samples / total_seconds
  double final_test_accuracy = 0.0;
  double final_test_loss = 0.0;
  std::string model;
  std::string device = "cpu";       // where rank 0 trained: "cpu", "cuda:0", ...
  Spread peak_rss_mb;               // peak resident memory per rank
  bool stopped = false;             // a stop signal ended the run before its last epoch
  int stop_signal = 0;              // which one (it may have reached another rank only)
};

// Where an epoch stands after one step, in rank 0's own numbers: progress is reported every
// step, so it must not cost a collective; the other ranks' samples are estimated, not counted.
struct StepProgress {
  int epoch = 0;               // 1-based
  std::int64_t step = 0;       // steps of the epoch done, 1..steps
  std::int64_t steps = 0;      // steps per epoch
  std::int64_t steps_run = 0;  // of those, run by this process (fewer after a resume)
  double samples = 0.0;        // all ranks in those steps, estimated as rank 0's x ranks
  double train_loss = 0.0;     // running mean over rank 0's samples of the epoch
  double seconds = 0.0;        // since this process started the epoch
};

// Receives metrics on rank 0; console and JSON-lines writers implement it.
class MetricsReporter {
 public:
  virtual ~MetricsReporter() = default;
  // Called after every training step: implementations must return quickly.
  virtual void step(const StepProgress&) {}
  virtual void epoch(const EpochMetrics& metrics) = 0;
  virtual void summary(const RunSummary& summary) = 0;
  // Called before the first epoch when the run continues from a checkpoint taken after
  // `completed_epochs` whole epochs: what was reported of those epochs stands.
  virtual void resumed(int /*completed_epochs*/) {}
};

}  // namespace dptrain
