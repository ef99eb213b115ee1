// dptrain::Linear against LibTorch's, and gradients written in place where GradientSync
// offers its bucket views.
#include <gtest/gtest.h>

#include "../support/synthetic.h"
#include "dptrain/comm/gradient_sync.h"
#include "dptrain/model/gradient_destination.h"
#include "dptrain/model/linear.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/batcher.h"

namespace dptrain {
namespace {

struct Gradients {
  torch::Tensor output, input, weight, bias;
};

template <class Layer>
Gradients forward_and_backward(Layer& layer, const torch::Tensor& input) {
  const torch::Tensor x = input.clone().requires_grad_(true);
  const torch::Tensor y = layer->forward(x);
  (y * y).sum().backward();
  // Copies: zero_grad() zeroes a module's gradients in place.
  return {y.detach(), x.grad(), layer->weight.grad().clone(), layer->bias.grad().clone()};
}

TEST(Linear, StartsAndComputesLikeLibTorchsLinear) {
  torch::manual_seed(4);
  Linear mine(37, 11);
  torch::manual_seed(4);
  torch::nn::Linear theirs(37, 11);
  EXPECT_TRUE(torch::equal(mine->weight, theirs->weight));
  EXPECT_TRUE(torch::equal(mine->bias, theirs->bias));
  EXPECT_EQ(mine->named_parameters().keys(), theirs->named_parameters().keys());

  const torch::Tensor input = torch::randn({9, 37});
  const Gradients a = forward_and_backward(mine, input);
  const Gradients b = forward_and_backward(theirs, input);
  // The same values; the bits may differ where oneDNN sums in another order (matrix_product.h).
  EXPECT_TRUE(torch::allclose(a.output, b.output, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.input, b.input, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.weight, b.weight, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.bias, b.bias, 1e-5, 1e-6));
  torch::NoGradGuard no_grad;  // evaluation takes the same products
  EXPECT_TRUE(torch::equal(mine->forward(input), a.output));
}

TEST(Linear, ADestinationChangesWhereTheGradientGoesNotItsBits) {
  torch::manual_seed(4);
  Linear layer(37, 11);
  const torch::Tensor input = torch::randn({9, 37});
  layer->zero_grad();
  const Gradients plain = forward_and_backward(layer, input);

  torch::Tensor destination = torch::full({11, 37}, 7.0f);
  set_gradient_destination(layer->weight, [&] { return destination; });
  layer->zero_grad();
  const Gradients into = forward_and_backward(layer, input);
  clear_gradient_destination(layer->weight);
  EXPECT_TRUE(torch::equal(into.output, plain.output));
  EXPECT_TRUE(torch::equal(into.input, plain.input));
  EXPECT_TRUE(torch::equal(into.bias, plain.bias));
  EXPECT_TRUE(torch::equal(into.weight, plain.weight));
  EXPECT_TRUE(torch::equal(destination, plain.weight)) << "not computed into the destination";
}

TEST(Linear, BackwardTakesFreshMemoryWhenTheDestinationSaysNo) {
  torch::manual_seed(4);
  Linear layer(5, 3);
  torch::Tensor destination = torch::zeros({3, 5});
  set_gradient_destination(layer->weight, [] { return torch::Tensor(); });
  forward_and_backward(layer, torch::randn({2, 5}));
  clear_gradient_destination(layer->weight);
  EXPECT_NE(layer->weight.grad().data_ptr(), destination.data_ptr());
  EXPECT_EQ(destination.abs().sum().item<float>(), 0.0f);
}

// GradientSync offers each weight's bucket view for the step's first gradient only: a second
// backward in the same step must add to the first, as autograd does.
TEST(Linear, TwoBackwardsInOneStepAddUpInTheBuckets) {
  torch::manual_seed(0);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  torch::manual_seed(0);
  torch::nn::Sequential plain = make_model("quickstart-mlp");
  SingleRankCommunicator comm;
  GradientSync sync(model->parameters(), comm, GradientSyncOptions());
  const Shard shard = testing::synthetic_shard({0, 16});
  const Batcher batcher(shard, 8);
  const auto loss = [&](torch::nn::Sequential& m, std::int64_t step) {
    const Batch batch = batcher.batch(step);
    return torch::nn::functional::cross_entropy(m->forward(batch.images), batch.labels);
  };
  sync.zero_grad();
  const torch::Tensor weight = model->parameters()[0];  // the first Linear's weight
  const torch::Tensor view = gradient_destination(weight);
  ASSERT_TRUE(view.defined()) << "no destination offered at the start of a step";
  EXPECT_EQ(view.data_ptr(), weight.grad().data_ptr());
  loss(model, 0).backward();
  EXPECT_FALSE(gradient_destination(weight).defined()) << "offered again after it was written";

  loss(model, 1).backward();
  sync.finish();
  loss(plain, 0).backward();
  loss(plain, 1).backward();
  for (std::size_t i = 0; i < plain->parameters().size(); ++i) {
    EXPECT_TRUE(torch::allclose(model->parameters()[i].grad(), plain->parameters()[i].grad()))
        << "parameter " << i;
  }
}

}  // namespace
}  // namespace dptrain
