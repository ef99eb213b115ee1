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
  return {y.detach(), x.grad(), layer->weight.grad(), layer->bias.grad()};
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
  torch::Tensor destination = torch::full({11, 37}, 7.0f);
  // With a destination (the custom backward) and without (LibTorch's own): the same bits.
  for (bool with_destination : {true, false}) {
    destination.fill_(7.0f);
    if (with_destination) set_gradient_destination(mine->weight, [&] { return destination; });
    mine->zero_grad();
    theirs->zero_grad();
    const Gradients a = forward_and_backward(mine, input);
    const Gradients b = forward_and_backward(theirs, input);
    clear_gradient_destination(mine->weight);
    EXPECT_TRUE(torch::equal(a.output, b.output));
    EXPECT_TRUE(torch::equal(a.input, b.input));
    EXPECT_TRUE(torch::equal(a.weight, b.weight)) << "destination " << with_destination;
    EXPECT_TRUE(torch::equal(a.bias, b.bias));
    // With a destination, the gradient was computed into its memory.
    EXPECT_EQ(torch::equal(destination, b.weight), with_destination);
  }
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
