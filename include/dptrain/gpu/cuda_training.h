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

// A training step recorded once as a CUDA graph and then replayed: one launch for the dozens
// of kernels of forward, backward, averaging and update. A batch of 64 on a big GPU is bound
// by launch overhead, which this removes. The step must read its inputs from, and write its
// results to, tensors that outlive the graph, and must not synchronize with the host.
class StepGraph {
 public:
  virtual ~StepGraph() = default;
  // Runs `step` for real on the stream it will be captured on: libraries set up their
  // handles and workspaces then, outside the graph.
  virtual void warm_up(const std::function<void()>& step) = 0;
  // Records `step` without running it.
  virtual void capture(const std::function<void()>& step) = 0;
  // Runs the recorded step.
  virtual void replay() = 0;
};

std::unique_ptr<StepGraph> make_step_graph(torch::Device device);

}  // namespace dptrain
