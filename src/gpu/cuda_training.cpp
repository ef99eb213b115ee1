// The GPU entry points of a dptrain built with CUDA LibTorch and NCCL.
#include "dptrain/gpu/cuda_training.h"

#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "dptrain/error.h"
#include "dptrain/gpu/cuda_check.h"
#include "dptrain/gpu/cuda_device.h"
#include "dptrain/gpu/nccl_averager.h"

namespace dptrain {
namespace {

cudaStream_t current_stream(torch::Device device) {
  return c10::cuda::getCurrentCUDAStream(device.index()).stream();
}

class NcclTransport : public BucketTransport {
 public:
  NcclTransport(Communicator& comm, torch::Device device)
      : averager_(comm, device.index()), device_(device) {}

  torch::Tensor allocate(std::int64_t elements) override {
    return torch::zeros({elements}, torch::TensorOptions().device(device_));
  }

  // Hooks fire when backward has queued a gradient's kernels; the average is queued behind
  // them, so it is safe to launch from there.
  bool launches_during_backward() const override { return true; }
  bool averages() const override { return true; }

  void launch(const torch::Tensor& bucket) override {
    averager_.average_after(bucket.data_ptr<float>(), static_cast<std::size_t>(bucket.numel()),
                            current_stream(device_));
  }

  void wait() override { averager_.join(current_stream(device_)); }

 private:
  NcclAverager averager_;
  torch::Device device_;
};

// Makes `waiting` wait for what is queued on `first` so far.
void order_after(const c10::cuda::CUDAStream& first, const c10::cuda::CUDAStream& waiting) {
  at::cuda::CUDAEvent event;
  event.record(first);
  event.block(waiting);
}

class OwnStream : public TrainingStream {
 public:
  explicit OwnStream(torch::Device device)
      : before_(c10::cuda::getCurrentCUDAStream(device.index())),
        guard_(c10::cuda::getStreamFromPool(false, device.index())) {
    // Pool streams do not wait for the default stream by themselves.
    order_after(before_, guard_.current_stream());
  }

  ~OwnStream() override {
    try {
      order_after(guard_.current_stream(), before_);
    } catch (...) {
      // Unwinding from a GPU error already: that error is the one to report.
    }
  }

 private:
  c10::cuda::CUDAStream before_;
  c10::cuda::CUDAStreamGuard guard_;
};

class CudaStepGraph : public StepGraph {
 public:
  explicit CudaStepGraph(torch::Device device) : device_(device) {}

  void warm_up(const std::function<void()>& step) override { step(); }

  void capture(const std::function<void()>& step) override {
    const c10::cuda::CUDAStream stream = c10::cuda::getCurrentCUDAStream(device_.index());
    if (stream == c10::cuda::getDefaultCUDAStream(device_.index())) {
      throw Error("internal: a CUDA graph cannot be captured on the default stream (use_training_stream)");
    }
    // Nothing may be in flight that the capture could tangle with (PyTorch's own
    // torch.cuda.graph synchronizes here too).
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    graph_ = std::make_unique<at::cuda::CUDAGraph>();
    graph_->capture_begin();
    step();
    graph_->capture_end();
  }

  void replay() override { graph_->replay(); }

 private:
  torch::Device device_;
  std::unique_ptr<at::cuda::CUDAGraph> graph_;
};

}  // namespace

bool built_with_cuda() { return true; }

void require_cuda_build() {}

torch::Device cuda_device_of_local_rank(int local_rank) {
  const int index = use_gpu_of_local_rank(local_rank);
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::unique_ptr<BucketTransport> make_nccl_transport(Communicator& comm, torch::Device device) {
  return std::make_unique<NcclTransport>(comm, device);
}

std::unique_ptr<TrainingStream> use_training_stream(torch::Device device) {
  if (!device.is_cuda()) return std::make_unique<TrainingStream>();
  return std::make_unique<OwnStream>(device);
}

std::unique_ptr<StepGraph> make_step_graph(torch::Device device) {
  return std::make_unique<CudaStepGraph>(device);
}

}  // namespace dptrain
