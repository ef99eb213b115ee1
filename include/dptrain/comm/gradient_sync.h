// Sums gradients across ranks before every optimizer step.
//
// Each parameter's gradient is a view into one of a few flat buckets, all carved from the
// communicator's reduction buffer, so backward writes straight into the memory that is
// reduced: one allreduce per bucket, no copies, never one call per parameter. Buckets are
// filled in reverse parameter order, the order in which backward produces gradients.
//
// The trainer weights each rank's loss by its share of the step's global batch, so the sum of
// the ranks' gradients is the gradient of the mean loss over the global batch.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "dptrain/comm/communicator.h"

namespace dptrain {

class GradientSync {
 public:
  GradientSync(const std::vector<torch::Tensor>& parameters, Communicator& comm,
               std::size_t bucket_bytes);

  // Zeroes every gradient before a step (the buckets are the gradients).
  void zero_grad();

  // Sums every gradient over all ranks, in place.
  void reduce();

  std::size_t bucket_count() const { return buckets_.size(); }
  std::size_t bucket_elements(std::size_t bucket) const;
  // Wall-clock seconds spent in gradient averaging since the last reset.
  double seconds() const { return seconds_; }
  void reset_seconds() { seconds_ = 0.0; }

 private:
  std::vector<torch::Tensor> buckets_;
  Communicator& comm_;
  double seconds_ = 0.0;
};

// Copies rank `root`'s parameters to every rank, so all replicas start identical.
void broadcast_parameters(const std::vector<torch::Tensor>& parameters, Communicator& comm,
                          int root = 0);

}  // namespace dptrain
