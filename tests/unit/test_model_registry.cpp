// The models a run can name.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "dptrain/error.h"
#include "dptrain/model/registry.h"

namespace dptrain {
namespace {

TEST(ModelRegistry, BuildsTheQuickstartMlpAndRejectsUnknownNames) {
  torch::nn::Sequential model = make_model("quickstart-mlp");
  std::int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
  EXPECT_EQ(model->forward(torch::zeros({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 10}));
  EXPECT_THROW(make_model("resnet-9000"), Error);
  for (const std::string& name : model_names()) {
    EXPECT_EQ(make_model(name)->forward(torch::zeros({3, 1, 28, 28})).sizes(),
              (torch::IntArrayRef{3, 10}))
        << name;
  }
}

}  // namespace
}  // namespace dptrain
