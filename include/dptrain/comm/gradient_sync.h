// Sums gradients across ranks before every optimizer step.
//
// Each parameter's gradient is a view into one of a few flat buckets, all carved from the
// memory of a BucketTransport (the communicator's reduction buffer on CPU, GPU memory on CUDA),
// so backward writes straight into the memory that is reduced: one reduction per bucket, no
// copies, never one call per parameter. Buckets are filled in reverse parameter order, the
// order in which backward produces gradients.
//
// A hook on each parameter's gradient accumulator writes the gradient that backward produces
// into the view, over the last step's (where autograd would add it to a zeroed buffer: a pass
// over the memory less, and no zeroing), and counts the gradients still missing from its
// bucket. A layer that can compute its gradient into given memory (dptrain::Linear) is offered
// the view (gradient_destination.h) and leaves the hook nothing to copy. With overlap, a
// complete bucket is launched at once (to the communication thread, or onto NCCL's stream),
// while backward computes the earlier layers. The last bucket, complete only when backward
// ends, is launched by finish() on the training thread. Buckets are always launched in index
// order, the same on every rank, and reduced by the same code as without overlap, so both
// paths give identical bits. Where the ranks of a node share the parameters (sgd_step), each
// bucket's reduction ends in its parameters' SGD step.
//
// The trainer weights each rank's loss by its share of the step's global batch (times the
// ranks when the transport averages), so the reduced gradient is the gradient of the mean loss
// over the global batch.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <vector>

#include "dptrain/comm/bucket_transport.h"
#include "dptrain/comm/communicator.h"

namespace dptrain {

struct GradientSyncOptions {
  std::size_t bucket_bytes = 4u << 20;
  bool overlap = true;  // reduce buckets during backward on a communication thread
  TransportPrecision precision = TransportPrecision::fp32;  // for the host transport made from a communicator
  // Where the transport shares memory between the ranks of a node: hold the parameters there,
  // once per node, and let finish() end in the SGD step p -= lr * sum (see set_learning_rate),
  // each rank of a node updating its part of every bucket. Saves every rank copying the whole
  // sum back and stepping all the parameters. After finish() the gradients hold nothing to
  // read: partly summed, or this rank's own (Communicator::allreduce_sum_into_parameters).
  bool sgd_step = false;
};

class GradientSync {
 public:
  // CPU buckets reduced by `comm` (make_host_transport).
  GradientSync(const std::vector<torch::Tensor>& parameters, Communicator& comm,
               GradientSyncOptions options);
  // Buckets of `options.bucket_bytes` held and reduced by `transport`; `options.overlap` asks
  // for launches during backward where the transport can take them.
  GradientSync(const std::vector<torch::Tensor>& parameters,
               std::unique_ptr<BucketTransport> transport, GradientSyncOptions options);
  ~GradientSync();

  // Starts a step with every gradient zero: backward's gradients are written over the views,
  // and finish() zeroes those that backward did not produce before they are summed.
  void zero_grad();

  // The learning rate of this step's SGD step, where finish() takes it (steps_parameters()).
  void set_learning_rate(double lr) { transport_->set_learning_rate(lr); }

  // Returns when every bucket has been summed over all ranks: launches the buckets that
  // backward did not launch (the last one; all of them without overlap, or for a rank with no
  // samples in this step) and waits for those in flight. With steps_parameters(), the
  // parameters have then taken their SGD step too.
  void finish();

  // Whether the parameters live in memory shared by the node's ranks and finish() steps them.
  bool steps_parameters() const { return steps_parameters_; }

  std::size_t bucket_count() const { return buckets_.size(); }
  std::size_t bucket_elements(std::size_t bucket) const;
  bool overlapping() const { return overlap_; }
  // Whether the buckets end as the mean over ranks rather than their sum.
  bool averages() const { return transport_->averages(); }
  // Buckets of the last step that went to the communication thread during backward.
  std::size_t launched_during_backward() const { return launched_during_backward_; }
  // Seconds the training thread spent in finish(), i.e. waiting for communication.
  double wait_seconds() const { return wait_seconds_; }
  void reset_wait_seconds() { wait_seconds_ = 0.0; }

 private:
  struct Gradient {
    torch::Tensor parameter;
    torch::Tensor view;   // the parameter's .grad, in its bucket
    std::size_t bucket;
    std::int64_t offset;  // of the view in the transport's memory
    torch::Tensor shared;  // the parameter's values in shared memory, with sgd_step
    bool written = false;  // by backward, in this step
    std::shared_ptr<torch::autograd::Node> accumulator;  // holding the hook
    torch::autograd::FunctionPreHook* hook = nullptr;     // owned by the accumulator
  };

  void share_parameters(const torch::Tensor& memory);
  void offer_views_to_backward();
  void keep_parameter_shared(Gradient& g);
  void keep_hook_attached(std::size_t parameter);
  static void detach_hook(Gradient& g);
  void gradient_arrived(std::size_t parameter, const torch::Tensor& gradient);
  void zero_unwritten(std::size_t bucket);
  void launch_ready_buckets();

  std::unique_ptr<BucketTransport> transport_;
  bool overlap_ = false;
  bool steps_parameters_ = false;
  std::vector<torch::Tensor> buckets_;
  std::vector<Gradient> gradients_;                    // bucket by bucket
  std::vector<std::size_t> bucket_first_;              // bucket b: gradients_[first[b], first[b+1])
  std::unique_ptr<std::atomic<int>[]> missing_;        // gradients not yet produced, per bucket
  std::size_t next_launch_ = 0;                        // buckets launch in index order
  std::size_t launched_during_backward_ = 0;
  double wait_seconds_ = 0.0;
};

// Copies rank `root`'s parameters to every rank, so all replicas start identical.
void broadcast_parameters(const std::vector<torch::Tensor>& parameters, Communicator& comm,
                          int root = 0);

}  // namespace dptrain
