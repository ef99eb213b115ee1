// GradientSync: gradients written by backward straight into the flat buckets the ranks average.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "../support/synthetic.h"
#include "dptrain/comm/gradient_sync.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/batcher.h"

namespace dptrain {
namespace {

TEST(GradientSync, GradientsAreViewsIntoBucketsThroughBackward) {
  torch::manual_seed(0);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  SingleRankCommunicator comm;
  GradientSyncOptions options;
  options.bucket_bytes = 1 << 20;  // 1 MiB: the 784x512 weight alone is 1.5
  GradientSync sync(model->parameters(), comm, options);
  EXPECT_GE(sync.bucket_count(), 2u);
  std::size_t elements = 0;
  for (std::size_t b = 0; b < sync.bucket_count(); ++b) elements += sync.bucket_elements(b);
  std::size_t parameters = 0;
  std::vector<void*> addresses;
  for (const auto& p : model->parameters()) {
    parameters += static_cast<std::size_t>(p.numel());
    addresses.push_back(p.grad().data_ptr());
  }
  EXPECT_EQ(elements, parameters);

  // The same model without GradientSync: its gradients are autograd's own.
  torch::manual_seed(0);
  torch::nn::Sequential plain = make_model("quickstart-mlp");
  const Shard shard = testing::synthetic_shard({0, 16});
  const Batcher batcher(shard, 8);
  for (std::int64_t step = 0; step < 2; ++step) {  // the second step writes over the first's
    const Batch batch = batcher.batch(step);
    sync.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
    sync.finish();  // one rank: the sum is the gradient itself
    for (auto& p : plain->parameters()) p.mutable_grad().reset();
    torch::nn::functional::cross_entropy(plain->forward(batch.images), batch.labels).backward();
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      const torch::Tensor mine = model->parameters()[i].grad();
      EXPECT_EQ(mine.data_ptr(), addresses[i]) << "backward replaced a gradient buffer";
      EXPECT_TRUE(torch::equal(mine, plain->parameters()[i].grad())) << "step " << step << ", parameter " << i;
    }
  }
  // A step without backward (a rank with no samples) contributes zeros.
  sync.zero_grad();
  sync.finish();
  for (const auto& p : model->parameters()) EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
}

TEST(GradientSync, GradientsStillGoToTheBucketsAfterLoadingParameters) {
  // Resuming loads a checkpoint into a model whose GradientSync is already made.
  torch::manual_seed(0);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  SingleRankCommunicator comm;
  GradientSync sync(model->parameters(), comm, GradientSyncOptions{});
  torch::manual_seed(1);
  torch::nn::Sequential saved = make_model("quickstart-mlp");
  std::stringstream bytes;
  torch::serialize::OutputArchive out;
  saved->save(out);
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  model->load(in);  // drops each parameter's gradient accumulator, and hooks with it

  const Batcher batcher(testing::synthetic_shard({0, 16}), 8);
  for (std::int64_t step = 0; step < 2; ++step) {
    const Batch batch = batcher.batch(step);
    sync.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
    sync.finish();
    for (auto& p : saved->parameters()) p.mutable_grad().reset();
    torch::nn::functional::cross_entropy(saved->forward(batch.images), batch.labels).backward();
    for (std::size_t i = 0; i < saved->parameters().size(); ++i) {
      EXPECT_TRUE(torch::equal(model->parameters()[i].grad(), saved->parameters()[i].grad()))
          << "step " << step << ", parameter " << i;
    }
  }
}

}  // namespace
}  // namespace dptrain
