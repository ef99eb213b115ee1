// How gradient buckets are summed across ranks: where their memory lives and what moves it.
//
// GradientSync decides which gradients form a bucket and when a bucket is complete; a
// transport holds the buckets' memory and reduces them:
//   host:   CPU memory from the communicator (node-shared with MPI), reduced by MPI on a
//           communication thread while backward runs, or on the training thread; with
//           node-shared memory the parameters can be shared too, and updated by the reduction;
//   staged: GPU buckets copied through host memory and reduced by MPI (ranks sharing a GPU);
//   NCCL:   GPU buckets averaged by NCCL on a stream of their own (see gpu/cuda_training.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "dptrain/comm/communicator.h"

namespace dptrain {

class BucketTransport {
 public:
  virtual ~BucketTransport() = default;

  // Memory for every bucket together: `elements` floats where the gradients are computed.
  virtual torch::Tensor allocate(std::int64_t elements) = 0;

  // Memory for the parameters, laid out like allocate()'s buckets and filled with `initial`,
  // that the ranks of a node share: from then on every reduction ends in the SGD step of its
  // bucket's parameters (at set_learning_rate's rate) instead of handing the sum back. An
  // undefined tensor where the transport cannot (the parameters then stay the model's own).
  virtual torch::Tensor share_parameters(const torch::Tensor& /*initial*/) { return {}; }
  virtual void set_learning_rate(double /*lr*/) {}

  // Whether launch() may be called from backward's hooks, as soon as a bucket is complete.
  virtual bool launches_during_backward() const = 0;

  // true: a reduced bucket holds the mean over ranks; false: their sum.
  virtual bool averages() const { return false; }

  // Starts reducing `bucket`. Every rank launches the same buckets in the same order.
  virtual void launch(const torch::Tensor& bucket) = 0;

  // Starts reducing a bucket from the training thread once backward is over (the last
  // bucket of a step, or all of them without overlap), after every bucket launched before it.
  // A transport with a thread of its own reduces it right here: there is nothing left to
  // overlap, and handing it over would only add a thread wake-up (tens of microseconds on a
  // virtual machine when the thread wakes on another core).
  virtual void launch_after_backward(const torch::Tensor& bucket) { launch(bucket); }

  // Returns when every launched bucket is reduced, as far as the rank's next computation sees.
  virtual void wait() = 0;
};

// CPU buckets. With `overlap`, reductions run on a communication thread (when the communicator
// allows collectives from one), launched during backward.
std::unique_ptr<BucketTransport> make_host_transport(Communicator& comm, TransportPrecision precision,
                                                     bool overlap);

// GPU buckets reduced through host memory by `comm`: correct anywhere, fast nowhere; for ranks
// that share a GPU, where NCCL refuses to run.
std::unique_ptr<BucketTransport> make_staged_transport(Communicator& comm, torch::Device device,
                                                       TransportPrecision precision);

}  // namespace dptrain
