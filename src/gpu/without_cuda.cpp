// The GPU entry points of a dptrain built without CUDA: each explains how to get one that has it.
#include "dptrain/error.h"
#include "dptrain/gpu/cuda_training.h"

namespace dptrain {
namespace {

[[noreturn]] void no_cuda() {
  throw Error("--device cuda: this dptrain was built without CUDA (its LibTorch has no CUDA); "
              "build it against a CUDA LibTorch with NCCL (README: \"GPUs: build, tests, benchmark\")");
}

}  // namespace

bool built_with_cuda() { return false; }

void require_cuda_build() { no_cuda(); }

torch::Device cuda_device_of_local_rank(int) { no_cuda(); }

std::unique_ptr<BucketTransport> make_nccl_transport(Communicator&, torch::Device) { no_cuda(); }

std::unique_ptr<TrainingStream> use_training_stream(torch::Device device) {
  if (device.is_cuda()) no_cuda();
  return std::make_unique<TrainingStream>();
}

std::unique_ptr<StepGraph> make_step_graph(torch::Device) { no_cuda(); }

}  // namespace dptrain
