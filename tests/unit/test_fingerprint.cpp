// Training fingerprints: what two runs' configurations differ in.
#include <gtest/gtest.h>

#include "../support/small_config.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/fingerprint.h"

namespace dptrain {
namespace {

// Two configurations' differences, as a refused resume and ranks that disagree show them: the
// model alone when the models differ (their parameter shapes follow from it).
TEST(Fingerprint, DifferencesNameWhatDiffersOnce) {
  TrainConfig mlp = testing::small_config();
  mlp.model = "quickstart-mlp";
  TrainConfig cnn = mlp;
  cnn.model = "small-cnn";
  cnn.lr = mlp.lr * 2;
  torch::nn::Sequential mlp_model = make_model(mlp.model), cnn_model = make_model(cnn.model);
  const auto differences = fingerprint_differences(training_fingerprint(mlp, mlp_model, 100),
                                                   training_fingerprint(cnn, cnn_model, 100));
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].rfind("lr: ", 0), 0u) << differences[0];
  EXPECT_EQ(differences[1], "model: quickstart-mlp vs small-cnn");

  torch::nn::Sequential wide = make_model("wide-mlp");
  const auto shapes = fingerprint_differences(training_fingerprint(mlp, mlp_model, 100),
                                              training_fingerprint(mlp, wide, 100));
  ASSERT_EQ(shapes.size(), 1u) << "the same model name with other shapes still differs";
  EXPECT_EQ(shapes[0].rfind("parameters: ", 0), 0u) << shapes[0];
}

}  // namespace
}  // namespace dptrain
