// What training on a GPU needs beyond LibTorch's device-neutral API: choosing the rank's GPU,
// NCCL gradient averaging and CUDA-graph replay of a step. These need a LibTorch built with
// CUDA; a dptrain built against one without (Debian's) has the same functions, and they throw
// an Error that says how to get a CUDA build.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

#include "dptrain/comm/bucket_transport.h"
#include "dptrain/comm/communicator.h"

namespace dptrain {

// Whether this dptrain was built with CUDA and NCCL (DPTRAIN_WITH_CUDA).
bool built_with_cuda();
// Throws the Error that explains how to get a CUDA build, in a build without CUDA.
void require_cuda_build();

// The GPU of a rank: its rank within the node modulo the GPUs it sees; made current.
torch::Device cuda_device_of_local_rank(int local_rank);

// GPU buckets averaged by NCCL (one communicator for the job, its id broadcast by `comm`) on a
// stream of their own, ordered against the compute stream by events.
std::unique_ptr<BucketTransport> make_nccl_transport(Communicator& comm, torch::Device device);

// While it lives, the calling thread's current stream on `device` is a stream of its own,
// ordered after the work queued before it and before the work queued after it (on the CPU it
// does nothing). A trainer runs all its GPU work on it, because a CUDA graph is captured on the
// current stream, which must not be the default one, and because autograd runs a gradient's
// accumulation on the stream that was current when its accumulator was made: GradientSync makes
// them (for its hooks) when it is built, so building, warming up and capturing on one stream
// keeps the whole step inside the graph (PyTorch's DDP asks to be built on the side stream for
// the same reason).
class TrainingStream {
 public:
  virtual ~TrainingStream() = default;
};

std::unique_ptr<TrainingStream> use_training_stream(torch::Device device);

// A training step recorded once as a CUDA graph and then replayed: one launch for the dozens
// of kernels of forward, backward, averaging and update. A batch of 64 on a big GPU is bound
// by launch overhead, which this removes. The step must read its inputs from, and write its
// results to, tensors that outlive the graph, and must not synchronize with the host.
class StepGraph {
 public:
  virtual ~StepGraph() = default;
  // Runs `step` for real on the stream it will be captured on (the current one): libraries
  // set up their handles and workspaces then, outside the graph.
  virtual void warm_up(const std::function<void()>& step) = 0;
  // Records `step` without running it, on the current stream (a TrainingStream's).
  virtual void capture(const std::function<void()>& step) = 0;
  // Runs the recorded step.
  virtual void replay() = 0;
};

std::unique_ptr<StepGraph> make_step_graph(torch::Device device);

}  // namespace dptrain
