#include "dptrain/model/linear.h"

#include "dptrain/model/gradient_destination.h"
#include "dptrain/model/matrix_product.h"

namespace dptrain {
namespace {

// input · weightᵀ + bias for a batch of vectors, with the gradients autograd's addmm gives, all
// products by matrix_product.h (oneDNN on the CPU where the build has it), and the weight's
// gradient written into its gradient destination when that offers memory.
struct LinearFunction : torch::autograd::Function<LinearFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& input,
                               const torch::Tensor& weight, const torch::Tensor& bias) {
    context->save_for_backward({input, weight});
    return linear_forward(input, weight, bias);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list output_gradients) {
    const auto saved = context->get_saved_variables();
    const torch::Tensor& input = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor& gradient = output_gradients[0];
    torch::Tensor input_gradient, weight_gradient, bias_gradient;
    if (context->needs_input_grad(0)) input_gradient = matrix_product(gradient, weight);
    if (context->needs_input_grad(1)) {
      torch::Tensor into = gradient_destination(weight);
      if (into.defined()) {
        matrix_product_into(into, gradient.t(), input);
        weight_gradient = into;
      } else {
        weight_gradient = matrix_product(gradient.t(), input);
      }
    }
    if (context->needs_input_grad(2)) bias_gradient = gradient.sum(0);
    return {input_gradient, weight_gradient, bias_gradient};
  }
};

}  // namespace

LinearImpl::LinearImpl(const torch::nn::LinearOptions& linear_options) : options(linear_options) {
  reset();
}

void LinearImpl::reset() {
  // LibTorch's own Linear draws the initial values: the same draws from the same generator, so
  // a seed gives the start it gives PyTorch's quickstart model.
  torch::nn::Linear initial(options);
  weight = register_parameter("weight", initial->weight);
  bias = register_parameter("bias", initial->bias, /*requires_grad=*/options.bias());
}

void LinearImpl::pretty_print(std::ostream& stream) const {
  stream << "dptrain::Linear(in_features=" << options.in_features()
         << ", out_features=" << options.out_features() << ", bias=" << std::boolalpha
         << options.bias() << ")";
}

torch::Tensor LinearImpl::forward(const torch::Tensor& input) {
  if (input.dim() != 2 || !bias.defined()) return torch::nn::functional::linear(input, weight, bias);
  // On the CPU, for matrix_product.h's products; on a GPU, only where backward can use a
  // destination: elsewhere LibTorch's own linear, which autograd differentiates without the
  // small cost of a custom function.
  const bool custom = input.device().is_cpu() || has_gradient_destination(weight);
  if (torch::GradMode::is_enabled() && custom) return LinearFunction::apply(input, weight, bias);
  return linear_forward(input, weight, bias);  // LibTorch's own on a GPU
}

}  // namespace dptrain
