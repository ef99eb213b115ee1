#include "dptrain/plots/confusion_heatmap.h"

#include <cstdio>

#include "dptrain/plots/png_canvas.h"

namespace dptrain {
namespace {

const Rgb kWhite{1, 1, 1};
const Rgb kInk{0.13, 0.13, 0.13};
const Rgb kGrid{0.85, 0.85, 0.85};

// White to dark blue, like matplotlib's "Blues" colour map that the workshop's plots use.
Rgb shade(double fraction) {
  const Rgb dark{0.03, 0.19, 0.42};
  return {1.0 + (dark.r - 1.0) * fraction, 1.0 + (dark.g - 1.0) * fraction,
          1.0 + (dark.b - 1.0) * fraction};
}

// Shaded by the share of the row (the true class), not by the raw count: every class's
// mistakes stand out equally, whatever its number of test samples.
void draw_cells(PngCanvas& canvas, const ConfusionMatrix& m, const HeatmapLayout& l) {
  for (int t = 0; t < m.classes(); ++t) {
    const double row = static_cast<double>(m.class_total(t));
    for (int p = 0; p < m.classes(); ++p) {
      const double fraction = row > 0 ? static_cast<double>(m.count(t, p)) / row : 0.0;
      const double x = l.cell_x(p), y = l.cell_y(t);
      canvas.fill_rect(x, y, l.cell, l.cell, shade(fraction));
      canvas.frame_rect(x, y, l.cell, l.cell, 1, kGrid);
      canvas.text(std::to_string(m.count(t, p)), x + l.cell / 2.0, y + l.cell / 2.0 + 5, 13,
                  fraction > 0.5 ? kWhite : kInk, Align::center, t == p);
    }
  }
}

void draw_labels(PngCanvas& canvas, const ConfusionMatrix& m, const HeatmapLayout& l) {
  const double grid_bottom = l.top + m.classes() * l.cell;
  for (int c = 0; c < m.classes(); ++c) {
    const std::string& name = m.class_names()[static_cast<std::size_t>(c)];
    canvas.text(name, l.left - 8, l.cell_y(c) + l.cell / 2.0 + 5, 13, kInk, Align::right);
    // Slanted so long names ("Ankle boot", "T-shirt/top") fit under narrow columns.
    canvas.text(name, l.cell_x(c) + l.cell / 2.0 + 4, grid_bottom + 12, 13, kInk, Align::right,
                false, 45);
  }
  canvas.text("true class", 22, l.top + m.classes() * l.cell / 2.0, 14, kInk, Align::center, true,
              90);
  canvas.text("predicted class", l.left + m.classes() * l.cell / 2.0, l.height() - 14, 14, kInk,
              Align::center, true);
}

}  // namespace

HeatmapLayout heatmap_layout(int classes) {
  HeatmapLayout layout;
  layout.classes = classes;
  return layout;
}

void write_confusion_heatmap(const ConfusionMatrix& m, const std::string& path) {
  const HeatmapLayout layout = heatmap_layout(m.classes());
  PngCanvas canvas(layout.width(), layout.height(), kWhite);
  char title[96];
  std::snprintf(title, sizeof title, "Confusion matrix: test accuracy %.1f%% (%lld of %lld)",
                100.0 * m.accuracy(), static_cast<long long>(m.correct()),
                static_cast<long long>(m.total()));
  canvas.text(title, layout.width() / 2.0, 34, 17, kInk, Align::center, true);
  draw_cells(canvas, m, layout);
  draw_labels(canvas, m, layout);
  canvas.write_png(path);
}

}  // namespace dptrain
