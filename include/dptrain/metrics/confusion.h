// The confusion matrix of a classifier on a labelled set, and what users read from it: overall
// and per-class accuracy, as text for the terminal and as JSON for notebooks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dptrain {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::vector<std::string> class_names);

  // Counts one sample; throws dptrain::Error for a class outside 0..classes-1.
  void add(int true_class, int predicted_class);

  int classes() const { return static_cast<int>(names_.size()); }
  const std::vector<std::string>& class_names() const { return names_; }
  // Samples of `true_class` predicted as `predicted_class` (row: truth, column: prediction).
  std::int64_t count(int true_class, int predicted_class) const;
  std::int64_t class_total(int true_class) const;  // row sum: samples of that class
  std::int64_t correct() const;                    // the diagonal
  std::int64_t total() const { return total_; }
  double accuracy() const;                         // correct / total, 0 when empty
  double class_accuracy(int true_class) const;     // diagonal / row sum, 0 when the row is empty

 private:
  std::vector<std::string> names_;
  std::vector<std::int64_t> counts_;  // classes x classes, row-major
  std::int64_t total_ = 0;
};

// The matrix of `predicted` against `truth` (same length, one entry per sample).
ConfusionMatrix confusion_matrix(const std::vector<std::uint8_t>& truth,
                                 const std::vector<int>& predicted,
                                 std::vector<std::string> class_names);

// "test accuracy ...", the per-class accuracies and the matrix, aligned for a terminal.
std::string confusion_text(const ConfusionMatrix& m);

// Where a matrix came from, e.g. {"checkpoint", "run/model.pt"}: written first in the JSON.
using Provenance = std::vector<std::pair<std::string, std::string>>;

// {<provenance>, "classes": [...], "matrix": [[...]] (rows: true class), "samples", "correct",
//  "accuracy", "per_class_accuracy": [...]}; accuracies as fractions 0..1, null for a class
//  without samples.
std::string confusion_json(const ConfusionMatrix& m, const Provenance& provenance = {});

}  // namespace dptrain
