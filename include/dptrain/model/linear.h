// A fully connected layer: torch::nn::Linear's parameters, names and initialisation, bit for
// bit, and its results, with two differences. On the CPU its matrix products are
// matrix_product.h's (oneDNN where the build has it: the same values to rounding). Where its
// weight has a gradient destination (gradient_destination.h), backward computes the weight's
// gradient straight into that memory instead of into fresh memory that would then be copied
// there.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <ostream>

namespace dptrain {

class LinearImpl : public torch::nn::Cloneable<LinearImpl> {
 public:
  LinearImpl(std::int64_t in_features, std::int64_t out_features)
      : LinearImpl(torch::nn::LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const torch::nn::LinearOptions& linear_options);

  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& input);

  torch::nn::LinearOptions options;
  torch::Tensor weight;
  torch::Tensor bias;  // undefined without options.bias()
};

TORCH_MODULE(Linear);

}  // namespace dptrain
