// The confusion matrix as a picture: one cell per (true, predicted) pair, shaded by the share
// of the true class it holds and labelled with its count, class names along both axes.
#pragma once

#include <string>

#include "dptrain/metrics/confusion.h"

namespace dptrain {

// Where the heatmap puts things, so callers and tests know the picture's size and cells.
struct HeatmapLayout {
  int cell = 56;    // side of one cell in pixels
  int left = 150;   // row names and the "true class" axis title
  int top = 56;     // the title
  int bottom = 120; // column names (slanted) and the "predicted class" axis title
  int right = 24;
  int classes = 0;
  int width() const { return left + classes * cell + right; }
  int height() const { return top + classes * cell + bottom; }
  // Top-left corner of the cell for (true_class, predicted_class).
  int cell_x(int predicted_class) const { return left + predicted_class * cell; }
  int cell_y(int true_class) const { return top + true_class * cell; }
};

HeatmapLayout heatmap_layout(int classes);

// Writes the heatmap of `m` to `path` (PNG, atomically).
void write_confusion_heatmap(const ConfusionMatrix& m, const std::string& path);

}  // namespace dptrain
