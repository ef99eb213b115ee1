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

// Values differ in full precision (a stream's default 6 digits hid the seventh), and read as
// typed: the learning rate 0.001 is "0.001", as checkpoints of earlier versions recorded it.
TEST(Fingerprint, LearningRatesDifferInTheirLastDigit) {
  TrainConfig a = testing::small_config();
  a.lr = 0.001;
  TrainConfig b = a;
  b.lr = 0.0010000004;
  b.warmup_epochs = a.warmup_epochs + 1e-9;
  torch::nn::Sequential model = make_model(a.model);
  const auto differences =
      fingerprint_differences(training_fingerprint(a, model, 100), training_fingerprint(b, model, 100));
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0], "lr: 0.001 vs 0.0010000004");
  EXPECT_EQ(differences[1].rfind("warmup-epochs: ", 0), 0u) << differences[1];
  // Values that 6 digits hold exactly keep the text earlier checkpoints recorded.
  a.lr = 0.0001;
  EXPECT_NE(training_fingerprint(a, model, 100).find("\nlr=0.0001\n"), std::string::npos);
}

}  // namespace
}  // namespace dptrain
