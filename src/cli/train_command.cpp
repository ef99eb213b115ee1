// `dptrain train`: the data-parallel training run, under mpirun/srun or as a single process.
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "config_file.h"
#include "errors.h"
#include "output_paths.h"
#include "terminal.h"
#include "thread_option.h"
#include "dptrain/checkpoint/checkpointer.h"
#include "dptrain/comm/fail_together.h"
#include "dptrain/comm/mpi_communicator.h"
#include "dptrain/config/config.h"
#include "dptrain/data/atomic_file.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/data/shard.h"
#include "dptrain/error.h"
#include "dptrain/gpu/cuda_training.h"
#include "dptrain/metrics/progress.h"
#include "dptrain/metrics/reporters.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/cpu_binding.h"
#include "dptrain/train/fingerprint.h"
#include "dptrain/train/stop_signals.h"
#include "dptrain/train/threads.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

const char* kShardPolicy =
    "Each rank reads only its contiguous shard of /train and /test (sizes differ by at most one "
    "sample). Every rank runs ceil(largest shard / batch) steps per epoch; a rank whose shard "
    "runs out first takes a smaller or empty last batch, and gradients are weighted by samples, "
    "so no sample is dropped or repeated and each step equals one step on the union of the "
    "ranks' batches.";

struct TrainCommand {
  TrainConfig config;
  std::string lr_scaling = "none";
  std::string progress = "auto";
  std::string config_file;
  CLI::App* cmd = nullptr;
};

// An unsigned 64-bit number written in decimal digits: CLI11 alone would wrap "-1" and clamp
// numbers past 2^64 - 1.
const CLI::Validator kUnsigned64(
    [](std::string& text) -> std::string {
      // Digits only: strtoull itself takes "-1" (and wraps it); ERANGE past 2^64 - 1.
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      errno = 0;
      std::strtoull(text.c_str(), nullptr, 10);
      return digits && errno == 0 ? "" : "must be a whole number from 0 to 18446744073709551615";
    },
    "UINT64");

// A string option that takes one of `choices`; its default shows in --help and the
// effective configuration.
CLI::Option* add_choice_option(CLI::App& cmd, const std::string& name, std::string& value,
                               const std::string& help, const std::vector<std::string>& choices) {
  return cmd.add_option(name, value, help)->check(CLI::IsMember(choices))->capture_default_str();
}

// A configuration file, and what the quickstart script sets: the model, the data, the optimizer.
void bind_training_options(TrainCommand& t) {
  CLI::App& cmd = *t.cmd;
  TrainConfig& c = t.config;
  // Not itself an option of the file: the config.toml of --out-dir then reads back as --config.
  cmd.add_option("--config", t.config_file,
                 "TOML file with any of these options, e.g. config/quickstart.toml (command line wins)")
      ->configurable(false);
  cmd.add_option("--data", c.data, "HDF5 file written by `dptrain convert` (required)");
  cmd.add_option("--model", c.model, "Model: quickstart-mlp (the tutorial's), wide-mlp, small-cnn")
      ->capture_default_str();
  cmd.add_option("--epochs", c.epochs, "Passes over the training set")->capture_default_str();
  cmd.add_option("--batch-size", c.batch_size, "Samples per rank and step")->capture_default_str();
  cmd.add_option("--lr", c.lr, "SGD learning rate (for 1 rank)")->capture_default_str();
  add_choice_option(cmd, "--lr-scaling", t.lr_scaling,
                    "none: lr as given; linear: lr x ranks, ramped from lr over --warmup-epochs",
                    {"none", "linear"});
  cmd.add_option("--warmup-epochs", c.warmup_epochs, "Epochs of linear warm-up (linear scaling)")
      ->capture_default_str();
  cmd.add_option("--seed", c.seed, "Seed for the initial parameters and shuffling")
      ->capture_default_str()
      ->check(kUnsigned64);
  cmd.add_flag("--shuffle,!--no-shuffle", c.shuffle,
               "Visit each shard in a seeded per-epoch order (default: off, like the quickstart)")
      ->default_str("false");
}

// Where each rank trains, and how the ranks average their gradients.
void bind_parallel_options(CLI::App& cmd, TrainConfig& c) {
  add_threads_option(cmd, c.threads, "Threads per rank for LibTorch and BLAS together");
  add_choice_option(cmd, "--device", c.device,
                    "cpu, or cuda: each rank trains on GPU (rank within the node) mod (GPUs it "
                    "sees), its shard copied there once",
                    kDevices);
  add_choice_option(cmd, "--backend", c.backend,
                    "What averages gradients: mpi (CPU memory; on cuda staged through it, so ranks "
                    "may share a GPU), nccl (GPU memory, one GPU per rank); auto: nccl on cuda, "
                    "else mpi",
                    kBackends);
  add_choice_option(cmd, "--cuda-graphs", c.cuda_graphs,
                    "Record a full training step once as a CUDA graph and replay it (no launch "
                    "overhead): on, off; auto: on with cuda where the backend allows (nccl, or 1 "
                    "rank)",
                    kCudaGraphModes);
  cmd.add_option("--bucket-mb", c.bucket_mb, "Gradient bucket size in MiB")->capture_default_str();
  add_choice_option(cmd, "--grad-dtype", c.grad_dtype,
                    "Precision gradients travel in between processes: fp32 (exact), bf16 or fp16 "
                    "(half the bytes; sums are formed in fp32)",
                    kGradDtypes);
  cmd.add_flag("--overlap,!--no-overlap", c.overlap,
               "Sum gradient buckets while backward still runs, on a communication thread "
               "(with nccl: on NCCL's stream) (default: on)")
      ->default_str("true");  // what the effective configuration shows when it is not given
}

// Checkpoints and resuming, and how long a collective may wait for a lost rank.
void bind_checkpoint_options(CLI::App& cmd, TrainConfig& c) {
  cmd.add_option("--checkpoint-dir", c.checkpoint_dir,
                 "Write checkpoints here (atomically, with a checksum; the newest are kept)");
  cmd.add_option("--checkpoint-every", c.checkpoint_every,
                 "How often: 500steps, 1epoch, 600s, 30min, 2h")
      ->capture_default_str();
  cmd.add_option("--keep-checkpoints", c.keep_checkpoints, "Checkpoints to keep")
      ->capture_default_str();
  cmd.add_flag("--resume", c.resume,
               "Continue from the newest valid checkpoint in --checkpoint-dir (start afresh if "
               "there is none). With another number of ranks, these train what the interrupted epoch "
               "has left.");
  cmd.add_option("--collective-timeout", c.collective_timeout,
                 "Seconds a collective may wait before the job is aborted with a report of the "
                 "ranks that did not arrive (0: never)")
      ->capture_default_str();
}

// What a run shows and writes.
void bind_output_options(TrainCommand& t) {
  CLI::App& cmd = *t.cmd;
  TrainConfig& c = t.config;
  cmd.add_option("--progress", t.progress,
                 "Progress within an epoch on rank 0: bar (redrawn in place), lines (one every "
                 "10%, for batch logs), off; auto: bar on a terminal, else lines")
      ->check(CLI::IsMember({"auto", "bar", "lines", "off"}))
      ->capture_default_str();
  cmd.add_option("--metrics", c.metrics, "Write one JSON object per epoch to this file")
      ->check(not_a_directory_name());
  cmd.add_option("--out-dir", c.out_dir, "Directory for the final model and effective config");
}

void bind_options(TrainCommand& t) {
  bind_training_options(t);
  bind_parallel_options(*t.cmd, t.config);
  bind_checkpoint_options(*t.cmd, t.config);
  bind_output_options(t);
}

// A run that starts afresh among another run's checkpoints would leave a directory where
// --resume and eval take whichever file is newest, and its pruning would delete the others.
void refuse_earlier_checkpoints(const TrainConfig& c) {
  const auto newest = Checkpointer(c.checkpoint_dir, c.keep_checkpoints).newest_file();
  if (!newest) return;
  throw Error("--checkpoint-dir " + c.checkpoint_dir + " holds checkpoints of an earlier run (newest " +
              std::filesystem::path(*newest).filename().string() +
              "): continue it with --resume, or give another --checkpoint-dir");
}

// Everything a rank needs before training; any failure is agreed by all ranks.
struct Setup {
  std::int64_t train_samples = 0;
  Shard train;
  Shard test;
  std::unique_ptr<ReporterList> reporters;  // rank 0 only
};

Setup prepare(const TrainConfig& c, ProgressMode progress, Communicator& comm) {
  Setup s;
  make_model(c.model);  // fails early for an unknown name
  if (c.device == "cuda") cuda_device_of_local_rank(comm.local_rank());  // fails early without a GPU
  uses_cuda_graphs(c, comm.size());  // fails early for --cuda-graphs on where graphs cannot be
  RankShards shards = read_rank_shards(c.data, comm.rank(), comm.size());
  s.train_samples = shards.train_samples;
  s.train = std::move(shards.train);
  s.test = std::move(shards.test);
  if (comm.rank() != 0) return s;
  s.reporters = std::make_unique<ReporterList>();
  // Before the console reporter, so that the bar is cleared before the epoch's line.
  if (progress != ProgressMode::off) {
    s.reporters->add(std::make_unique<ProgressReporter>(std::cout, progress, terminal_columns()));
  }
  s.reporters->add(std::make_unique<ConsoleReporter>(std::cout));
  // Output locations fail here, together, rather than on rank 0 alone after hours of training.
  if (!c.out_dir.empty()) create_output_directory("--out-dir", c.out_dir);
  if (!c.checkpoint_dir.empty()) {
    create_output_directory("--checkpoint-dir", c.checkpoint_dir);
    if (!c.resume) refuse_earlier_checkpoints(c);
  }
  if (!c.metrics.empty()) {
    const std::filesystem::path parent = std::filesystem::path(c.metrics).parent_path();
    if (!parent.empty()) create_output_directory("--metrics", parent.string());
    s.reporters->add(std::make_unique<JsonLinesReporter>(c.metrics));
  }
  return s;
}

std::string where_it_runs(const TrainConfig& c, const Trainer& trainer) {
  if (!trainer.device().is_cuda()) return "CPU";
  return "GPU " + trainer.device().str() + " on rank 0, gradients averaged by " + effective_backend(c) +
         ", CUDA graphs " + (trainer.uses_graphs() ? "on" : "off");
}

void print_configuration(const TrainCommand& t, const Communicator& comm, const Trainer& trainer) {
  std::cout << "# dptrain train: " << comm.size() << " ranks x " << t.config.threads
            << " threads, global batch " << global_batch(t.config, comm.size()) << ", "
            << trainer.steps_per_epoch() << " steps per epoch, on " << where_it_runs(t.config, trainer)
            << "\n"
            << t.cmd->config_to_str(true, false) << std::flush;
}

void warn_if_oversubscribed(const TrainConfig& c, Communicator& comm) {
  const std::string warning = oversubscription_warning(comm.local_size(), c.threads, node_core_count());
  // Nodes may differ; any node that is oversubscribed is worth one line from rank 0.
  const int anywhere = comm.allreduce_max(warning.empty() ? 0 : 1);
  if (comm.rank() != 0 || !anywhere) return;
  std::cerr << "dptrain: warning: "
            << (warning.empty() ? "some node is oversubscribed (ranks x threads > cores)" : warning)
            << std::endl;
}

// Cores enough in all, but bound so that ranks share them, or a rank has fewer than its
// threads: one line from rank 0 about the first node where it happens.
void warn_if_badly_bound(const TrainConfig& c, Communicator& comm) {
  const std::vector<std::string> described = comm.gather_text(describe_this_rank_cpus(), 0);
  if (comm.rank() != 0) return;
  std::vector<RankCpus> ranks;
  try {
    for (const std::string& text : described) ranks.push_back(parse_rank_cpus(text));
  } catch (const Error&) {
    return;  // only rank 0 is here: failing would leave the other ranks waiting, for a warning
  }
  const std::string warning = cpu_binding_warning(ranks, c.threads, openmp_binds_threads());
  if (!warning.empty()) std::cerr << "dptrain: warning: " << warning << std::endl;
}

// A batch larger than a rank's shard still trains (one step per epoch, of the whole shard),
// but the run is not the one asked for: likely a typo, or the global batch given per rank.
void warn_if_batch_exceeds_shard(const TrainConfig& c, const Communicator& comm,
                                 std::int64_t train_samples) {
  const std::int64_t largest_shard = shard_range(train_samples, 0, comm.size()).count;
  if (comm.rank() != 0 || c.batch_size <= largest_shard) return;
  std::cerr << "dptrain: warning: --batch-size " << c.batch_size << " is more than the "
            << largest_shard << " training samples of a rank: each epoch is one step of the "
            << "whole shard (--batch-size is per rank)" << std::endl;
}

// Options that only work with another: given alone they change nothing, which the user
// should hear of (a warm-up thought to be running, checkpoints thought to be written).
void warn_of_options_without_effect(const TrainConfig& c, const Communicator& comm) {
  if (comm.rank() != 0) return;
  const TrainConfig defaults;
  if (c.warmup_epochs != defaults.warmup_epochs && c.lr_scaling == LrScaling::none) {
    std::cerr << "dptrain: warning: --warmup-epochs has no effect without --lr-scaling linear "
              << "(it ramps the scaled rate)" << std::endl;
  }
  if (c.checkpoint_dir.empty() && (c.checkpoint_every != defaults.checkpoint_every ||
                                   c.keep_checkpoints != defaults.keep_checkpoints)) {
    std::cerr << "dptrain: warning: --checkpoint-every and --keep-checkpoints have no effect "
              << "without --checkpoint-dir: no checkpoints are written" << std::endl;
  }
}

// Continues from the newest intact checkpoint; a damaged one is never loaded, the one before
// it serves. Returns what to tell the user: a note for the log, a warning for stderr.
struct ResumeReport {
  std::string note;
  std::string warning;
  bool from_checkpoint = false;
};

ResumeReport resume_newest(Trainer& trainer, const TrainConfig& c) {
  ResumeReport report;
  const auto path = Checkpointer(c.checkpoint_dir, c.keep_checkpoints).newest_valid(&report.warning);
  report.from_checkpoint = path.has_value();
  report.note = path ? trainer.resume(*path)
                     : "no checkpoint in " + c.checkpoint_dir + ": starting from the beginning";
  return report;
}

// Ranks that disagree about the model, the data or the options would train garbage or hang:
// compare every rank's description of the run with rank 0's before the first step.
void check_ranks_agree(const TrainConfig& c, MpiCommunicator& comm, Trainer& trainer,
                       std::int64_t train_samples) {
  const TrainingPosition start = trainer.position();
  const std::string mine =
      job_fingerprint(c, trainer.model(), train_samples, comm.size(), trainer.steps_per_epoch()) +
      "start=epoch " + std::to_string(start.epoch + 1) + " step " + std::to_string(start.step) + "\n";
  const std::vector<std::string> all = comm.gather_text(mine, 0);
  std::string report;
  for (std::size_t r = 1; r < all.size(); ++r) {
    for (const auto& d : fingerprint_differences(all[0], all[r])) {
      report += "\n  rank " + std::to_string(r) + " differs from rank 0 in " + d;
    }
  }
  if (comm.allreduce_max(report.empty() ? 0 : 1) == 0) return;
  if (comm.rank() == 0) {
    std::cerr << "dptrain: error: the ranks disagree about the run (values: rank 0 vs the other)"
              << report << std::endl;
  }
  throw ReportedFailure();
}

// The trained model and the options that made it, for eval, show and longer runs.
void save_outputs(const TrainCommand& t, MpiCommunicator& comm, Trainer& trainer) {
  if (comm.rank() != 0 || t.config.out_dir.empty()) return;
  const std::filesystem::path dir(t.config.out_dir);
  save_model(trainer.model(), (dir / "model.pt").string());
  write_text_atomically((dir / "config.toml").string(), t.cmd->config_to_str(true, false));
}

int train_and_save(const TrainCommand& t, MpiCommunicator& comm, Setup& setup, Trainer& trainer) {
  ResumeReport resumed;
  std::string failure;
  try {
    if (t.config.resume) resumed = resume_newest(trainer, t.config);
  } catch (const std::exception& e) {
    failure = error_message(e);
  }
  fail_together(comm, failure);
  check_ranks_agree(t.config, comm, trainer, setup.train_samples);
  if (t.config.collective_timeout > 0) comm.enable_watchdog(t.config.collective_timeout);
  if (comm.rank() == 0) {
    print_configuration(t, comm, trainer);
    if (!resumed.warning.empty()) std::cerr << "dptrain: warning: " << resumed.warning << std::endl;
    if (!resumed.note.empty()) std::cout << "# " << resumed.note << std::endl;
    // The epochs before the checkpoint stay in the metrics file; position().epoch counts them.
    if (resumed.from_checkpoint) setup.reporters->resumed(trainer.position().epoch);
  }
  if (trainer.finished()) {
    // A finished job submitted again (job scripts add --resume whenever there is a
    // checkpoint): its metrics stay as they are, rather than end in a summary of no epochs.
    if (comm.rank() == 0) {
      std::cout << "# nothing to train: the checkpoint is at the end of epoch "
                << trainer.position().epoch << " and --epochs is " << t.config.epochs
                << "; the metrics are left as they are" << std::endl;
    }
    save_outputs(t, comm, trainer);
    return 0;
  }
  const RunSummary summary = trainer.run(setup.reporters.get());
  if (summary.stopped) {
    if (comm.rank() == 0) {
      end_progress_bar();
      std::cout << "dptrain: stopped by signal " << summary.stop_signal << " before epoch "
                << trainer.position().epoch + 1 << " step " << trainer.position().step
                << (trainer.last_checkpoint().empty()
                        ? std::string("; no --checkpoint-dir, so nothing was saved")
                        : "; checkpoint " + trainer.last_checkpoint() + " (continue with --resume)")
                << "; exit code " << kExitCheckpointed << std::endl;
    }
    return kExitCheckpointed;
  }
  save_outputs(t, comm, trainer);
  return 0;
}

int train_or_abort(const TrainCommand& t, MpiCommunicator& comm, Setup& setup) {
  std::unique_ptr<Trainer> trainer;
  try {
    trainer = std::make_unique<Trainer>(t.config, comm, setup.train, setup.train_samples,
                                        setup.test);
    return train_and_save(t, comm, setup, *trainer);
  } catch (const ReportedFailure&) {
    throw;
  } catch (const std::exception& e) {
    // Abort while the trainer is alive: its teardown waits for the GPU, where an NCCL average
    // may wait for ranks that will never send, and the error would never be printed.
    abort_job(error_message(e));
  }
}

int run_train(TrainCommand& t, int argc, char** argv) {
  // First, so that no thread started from here on (MPI's, OpenMP's, the trainer's) takes them.
  install_stop_signal_handlers();
  if (!t.config_file.empty()) apply_config_file(*t.cmd, t.config_file);
  t.config.lr_scaling = t.lr_scaling == "linear" ? LrScaling::linear : LrScaling::none;
  check_threads(*t.cmd->get_option("--threads"), t.config.threads);
  validate(t.config);
  check_train_outputs_apart(t.config, t.config_file);
  if (t.config.device == "cuda") require_cuda_build();
  set_thread_count(t.config.threads);
  MpiSession mpi(&argc, &argv);
  MpiCommunicator comm;
  Setup setup;
  std::string failure;
  try {
    validate_for_ranks(t.config, comm.size());
    setup = prepare(t.config, progress_mode(t.progress, stdout_is_terminal()), comm);
  } catch (const std::exception& e) {
    failure = error_message(e);
  }
  fail_together(comm, failure);
  warn_if_oversubscribed(t.config, comm);
  warn_if_badly_bound(t.config, comm);
  warn_if_batch_exceeds_shard(t.config, comm, setup.train_samples);
  warn_of_options_without_effect(t.config, comm);
  return train_or_abort(t, comm, setup);
}

}  // namespace

CommandRunner add_train_command(CLI::App& app) {
  auto t = std::make_shared<TrainCommand>();
  t->cmd = app.add_subcommand("train", std::string("Train a model data-parallel across MPI ranks. ") +
                                           kShardPolicy);
  bind_options(*t);
  return [t](int argc, char** argv) { return run_train(*t, argc, argv); };
}

}  // namespace dptrain
