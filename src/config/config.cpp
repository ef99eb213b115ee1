#include "dptrain/config/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "dptrain/checkpoint/checkpoint_schedule.h"
#include "dptrain/comm/transport_precision.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

template <class T>
std::string shown(const T& value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string shown(double value) { return exact_text(value); }

template <class T>
void require(bool ok, const char* option, const char* expectation, const T& value) {
  if (ok) return;
  throw Error(std::string(option) + " must be " + expectation + " (got " + shown(value) + ")");
}

void require_one_of(const std::string& value, const char* option,
                    const std::vector<std::string>& choices) {
  std::string expectation;  // "a, b or c"
  for (std::size_t i = 0; i < choices.size(); ++i) {
    expectation += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  require(std::find(choices.begin(), choices.end(), value) != choices.end(), option,
          expectation.c_str(), value);
}

void validate_device(const TrainConfig& c) {
  require_one_of(c.device, "--device", kDevices);
  require_one_of(c.backend, "--backend", kBackends);
  require_one_of(c.cuda_graphs, "--cuda-graphs", kCudaGraphModes);
  if (c.backend == "nccl" && c.device != "cuda") {
    throw Error("--backend nccl needs --device cuda: NCCL averages gradients in GPU memory");
  }
  if (c.cuda_graphs == "on" && c.device != "cuda") {
    throw Error("--cuda-graphs on needs --device cuda");
  }
  if (effective_backend(c) == "nccl" && c.grad_dtype != "fp32") {
    throw Error("--grad-dtype " + c.grad_dtype + " is for the mpi backend; NCCL averages fp32 "
                "gradients (use --backend mpi, or --grad-dtype fp32)");
  }
}

}  // namespace

void validate_threads(int threads, const std::string& source) {
  if (threads >= 1 && threads <= kMaxThreads) return;
  throw Error("--threads must be from 1 to " + std::to_string(kMaxThreads) + " (got " +
              std::to_string(threads) + (source.empty() ? "" : ", the default from " + source) + ")");
}

void validate_for_ranks(const TrainConfig& c, int ranks) {
  if (c.lr_scaling != LrScaling::linear || c.lr * ranks <= kMaxLearningRate) return;
  std::ostringstream text;
  text << "--lr " << c.lr << " x " << ranks << " ranks (--lr-scaling linear) is past 3.4e38, "
       << "the largest learning rate a float32 step can take";
  throw Error(text.str());
}

std::string effective_backend(const TrainConfig& c) {
  if (c.backend != "auto") return c.backend;
  return c.device == "cuda" ? "nccl" : "mpi";
}

bool uses_cuda_graphs(const TrainConfig& c, int ranks) {
  if (c.device != "cuda" || c.cuda_graphs == "off") return false;
  // Averaging through host memory waits for the GPU, which a graph cannot record.
  if (ranks == 1 || effective_backend(c) == "nccl") return true;
  if (c.cuda_graphs == "on") {
    throw Error("--cuda-graphs on: steps that average through MPI (--backend mpi with several "
                "ranks) cannot be recorded as a CUDA graph; use --backend nccl or --cuda-graphs auto");
  }
  return false;
}

void validate(const TrainConfig& c) {
  if (c.data.empty()) throw Error("--data is required: the HDF5 file written by `dptrain convert`");
  require(c.epochs >= 1 && c.epochs <= kMaxEpochs, "--epochs", "from 1 to 1000000", c.epochs);
  require(c.batch_size >= 1, "--batch-size", "at least 1", c.batch_size);
  // NaN fails every comparison, so each range below also refuses it.
  // The step is taken in float32: a larger lr would become infinity there, a smaller one 0.
  require(c.lr >= kMinLearningRate && c.lr <= kMaxLearningRate, "--lr",
          "from 1.2e-38 to 3.4e38 (float32's range)", c.lr);
  require(c.warmup_epochs >= 0.0 && c.warmup_epochs <= kMaxEpochs, "--warmup-epochs",
          "from 0 to 1000000", c.warmup_epochs);
  validate_threads(c.threads);
  require(c.bucket_mb >= kMinBucketMb && c.bucket_mb <= kMaxBucketMb, "--bucket-mb",
          "from 0.001 to 4096", c.bucket_mb);
  parse_transport_precision(c.grad_dtype);
  validate_device(c);
  parse_checkpoint_every(c.checkpoint_every);
  require(c.keep_checkpoints >= 1, "--keep-checkpoints", "at least 1", c.keep_checkpoints);
  // Below a second, a collective that is merely slow (a checkpoint being written, a
  // node's first touch of its memory) would abort the job.
  require(c.collective_timeout == 0 || (c.collective_timeout >= 1 && std::isfinite(c.collective_timeout)),
          "--collective-timeout", "0 (off) or at least 1 second", c.collective_timeout);
  if (c.resume && c.checkpoint_dir.empty()) {
    throw Error("--resume needs --checkpoint-dir: the directory to resume from");
  }
}

std::string exact_text(double value) {
  std::ostringstream six;
  six << value;
  if (std::strtod(six.str().c_str(), nullptr) == value) return six.str();
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

std::string to_string(LrScaling scaling) {
  return scaling == LrScaling::linear ? "linear" : "none";
}

}  // namespace dptrain
