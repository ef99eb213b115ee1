// Where a parameter's gradient may be written in place.
//
// Backward normally computes each gradient into fresh memory, and whoever wants it elsewhere
// (GradientSync, in its bucket) copies it there: one more pass over the gradients every step.
// A destination lets a layer whose backward can compute straight into given memory (dptrain's
// Linear, for its weight) skip that copy. The owner of the memory sets a function that returns
// it while it may be written over, and an undefined tensor while it may not (a second backward
// in one step must add to the first, as autograd does).
#pragma once

#include <torch/torch.h>

#include <functional>

namespace dptrain {

using GradientDestination = std::function<torch::Tensor()>;

void set_gradient_destination(const torch::Tensor& parameter, GradientDestination destination);
void clear_gradient_destination(const torch::Tensor& parameter);

// Whether `parameter` has a destination at all (then backward may ask for it).
bool has_gradient_destination(const torch::Tensor& parameter);
// Memory shaped like `parameter` to write its gradient into, or an undefined tensor.
torch::Tensor gradient_destination(const torch::Tensor& parameter);

}  // namespace dptrain
