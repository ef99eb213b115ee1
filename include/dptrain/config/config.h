// The validated configuration of a training run: one struct, filled from the command line and
// an optional TOML file, then passed by argument to every component.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dptrain {

enum class LrScaling { none, linear };

struct TrainConfig {
  std::string data;                 // HDF5 file written by `dptrain convert`
  std::string model = "quickstart-mlp";
  int epochs = 5;
  int batch_size = 64;              // per rank
  double lr = 1e-3;
  LrScaling lr_scaling = LrScaling::none;
  double warmup_epochs = 0.0;
  std::uint64_t seed = 0;
  bool shuffle = false;
  int threads = 1;                  // per rank: LibTorch intra-op, inter-op and BLAS together
  std::string device = "cpu";       // cpu, or cuda: one GPU per rank (local rank mod GPUs)
  std::string backend = "auto";     // gradient averaging: mpi, nccl; auto: nccl on cuda, else mpi
  std::string cuda_graphs = "auto"; // replay full steps as one CUDA graph: on, off, auto (= on, cuda)
  double bucket_mb = 4.0;           // gradient bucket size for averaging
  bool overlap = true;              // reduce buckets during backward
  std::string grad_dtype = "fp32";  // transport precision of gradients: fp32, bf16, fp16
  std::string checkpoint_dir;       // empty: no checkpoints
  std::string checkpoint_every = "1epoch";
  int keep_checkpoints = 3;
  bool resume = false;              // continue from the newest valid checkpoint
  double collective_timeout = 600;  // seconds a collective may wait; 0 disables the watchdog
  std::string metrics;              // JSON-lines file, empty for none
  std::string out_dir;              // final model and effective configuration, empty for none
};

// Limits of the numeric options: beyond them a value is a typo, and it would overflow or
// start thousands of threads rather than fail.
constexpr int kMaxEpochs = 1000000;
constexpr int kMaxThreads = 1024;
constexpr double kMaxLearningRate = 3.4e38;  // below the largest float32
constexpr double kMinLearningRate = 1.2e-38;  // above the smallest normal float32
constexpr double kMinBucketMb = 0.001;
constexpr double kMaxBucketMb = 4096;

// What --device, --backend, --cuda-graphs and --grad-dtype accept: the command lines
// (train, bench allreduce) and validate() check the same lists.
inline const std::vector<std::string> kDevices{"cpu", "cuda"};
inline const std::vector<std::string> kBackends{"auto", "mpi", "nccl"};
inline const std::vector<std::string> kCudaGraphModes{"auto", "on", "off"};
inline const std::vector<std::string> kGradDtypes{"fp32", "bf16", "fp16"};

// Throws dptrain::Error naming the first option whose value cannot work.
void validate(const TrainConfig& config);

// Throws dptrain::Error unless `threads` is from 1 to kMaxThreads; `source`, if given, names
// where a value nobody passed came from ("SLURM_CPUS_PER_TASK=5000").
void validate_threads(int threads, const std::string& source = "");

// What validate() cannot check before the ranks are known: the learning rate that
// --lr-scaling linear makes of --lr on `ranks` ranks.
void validate_for_ranks(const TrainConfig& config, int ranks);

// --batch-size times the ranks, the samples of one step (in 64 bits: both may be large).
inline std::int64_t global_batch(const TrainConfig& config, int ranks) {
  return static_cast<std::int64_t>(config.batch_size) * ranks;
}

// The backend that --backend auto stands for on this device.
std::string effective_backend(const TrainConfig& config);
// Whether full steps are replayed as CUDA graphs on `ranks` ranks: on CUDA unless turned off,
// where the averaging can be recorded (NCCL, or nothing to average). Throws for
// --cuda-graphs on where it cannot be.
bool uses_cuda_graphs(const TrainConfig& config, int ranks);

std::string to_string(LrScaling scaling);

// A value as the user typed it, read back exactly: the stream's 6 digits where they hold it
// (0.001, 1e+39: what checkpoints have always recorded), else the shortest exact text
// (4096.0000001, which 6 digits would show as 4096).
std::string exact_text(double value);

}  // namespace dptrain
