// The confusion matrix and what is read from it: accuracies, text, JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dptrain/error.h"
#include "dptrain/metrics/confusion.h"

namespace dptrain {
namespace {

// Three classes; truth and predictions chosen so every number below is known.
ConfusionMatrix three_classes() {
  //                   truth:     0  0  0  0  1  1  2  2  2  2
  const std::vector<std::uint8_t> truth = {0, 0, 0, 0, 1, 1, 2, 2, 2, 2};
  const std::vector<int> predicted = {0, 0, 0, 1, 1, 2, 2, 2, 0, 2};
  return confusion_matrix(truth, predicted, {"cat", "dog", "bird"});
}

TEST(ConfusionMatrix, CountsRowsByTruthAndColumnsByPrediction) {
  const ConfusionMatrix m = three_classes();
  EXPECT_EQ(m.count(0, 0), 3);
  EXPECT_EQ(m.count(0, 1), 1);
  EXPECT_EQ(m.count(1, 2), 1);
  EXPECT_EQ(m.count(2, 0), 1);
  EXPECT_EQ(m.count(0, 2), 0);
  EXPECT_EQ(m.class_total(0), 4);
  EXPECT_EQ(m.class_total(1), 2);
  EXPECT_EQ(m.class_total(2), 4);
  EXPECT_EQ(m.correct(), 7);
  EXPECT_EQ(m.total(), 10);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.7);
  EXPECT_DOUBLE_EQ(m.class_accuracy(0), 0.75);
  EXPECT_DOUBLE_EQ(m.class_accuracy(1), 0.5);
  EXPECT_DOUBLE_EQ(m.class_accuracy(2), 0.75);
}

TEST(ConfusionMatrix, EmptyClassesHaveZeroAccuracyNotNaN) {
  ConfusionMatrix m({"a", "b"});
  EXPECT_EQ(m.accuracy(), 0.0);
  m.add(0, 0);
  EXPECT_EQ(m.class_accuracy(1), 0.0);
  EXPECT_EQ(m.accuracy(), 1.0);
}

TEST(ConfusionMatrix, RejectsClassesOutsideTheRange) {
  ConfusionMatrix m({"a", "b"});
  EXPECT_THROW(m.add(2, 0), Error);
  EXPECT_THROW(m.add(0, -1), Error);
  EXPECT_THROW(confusion_matrix({0, 1}, {0}, {"a", "b"}), Error);
}

TEST(ConfusionMatrix, TextShowsAccuraciesAndRows) {
  const std::string text = confusion_text(three_classes());
  EXPECT_NE(text.find("test accuracy 70.0% (7 of 10)"), std::string::npos) << text;
  EXPECT_NE(text.find("cat    75.0%  (3 of 4)"), std::string::npos) << text;
  EXPECT_NE(text.find("dog    50.0%  (1 of 2)"), std::string::npos) << text;
  EXPECT_NE(text.find(" 0 cat      3   1   0\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" 2 bird     1   0   3\n"), std::string::npos) << text;
}

TEST(ConfusionMatrix, JsonHoldsMatrixAccuraciesAndProvenance) {
  const auto j = nlohmann::json::parse(
      confusion_json(three_classes(), {{"checkpoint", "run/model.pt"}, {"model", "m"}}));
  EXPECT_EQ(j["checkpoint"], "run/model.pt");
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["classes"], nlohmann::json({"cat", "dog", "bird"}));
  EXPECT_EQ(j["matrix"], nlohmann::json({{3, 1, 0}, {0, 1, 1}, {1, 0, 3}}));
  EXPECT_EQ(j["samples"], 10);
  EXPECT_EQ(j["correct"], 7);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(j["per_class_accuracy"][1].get<double>(), 0.5);
}

TEST(ConfusionMatrix, ClassesWithoutSamplesHaveNoAccuracy) {
  const ConfusionMatrix m = confusion_matrix({0, 0}, {0, 1}, {"a", "b"});
  EXPECT_NE(confusion_text(m).find("  b       -  (0 of 0)\n"), std::string::npos) << confusion_text(m);
  const auto j = nlohmann::json::parse(confusion_json(m));
  EXPECT_DOUBLE_EQ(j["per_class_accuracy"][0].get<double>(), 0.5);
  EXPECT_TRUE(j["per_class_accuracy"][1].is_null());
}

}  // namespace
}  // namespace dptrain
