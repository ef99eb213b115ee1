#include "dptrain/plots/sprite.h"

#include <algorithm>
#include <cmath>

#include "dptrain/error.h"
#include "dptrain/plots/png_canvas.h"

namespace dptrain {
namespace {

const Rgb kWhite{1, 1, 1};
const Rgb kInk{0.13, 0.13, 0.13};
const Rgb kMuted{0.40, 0.40, 0.40};
const Rgb kRight{0.10, 0.50, 0.15};
const Rgb kWrong{0.84, 0.10, 0.11};
const Rgb kWrongTile{1.0, 0.92, 0.92};

void draw_tile(PngCanvas& canvas, const SpriteItem& item, const SpriteLayout& l, int i,
               const std::array<std::string, kNumClasses>& names) {
  const bool wrong = item.predicted != item.truth;
  const double x = l.tile_x(i), y = l.tile_y(i);
  if (wrong) {
    canvas.fill_rect(x + 2, y + 2, l.tile_width - 4, l.tile_height - 4, kWrongTile);
    canvas.frame_rect(x + 2, y + 2, l.tile_width - 4, l.tile_height - 4, 3, kWrong);
  }
  const int side = kImageSide * l.scale;
  const double image_x = x + (l.tile_width - side) / 2.0, image_y = y + 10;
  canvas.grey_image(item.pixels, kImageSide, image_x, image_y, l.scale);
  const double centre = x + l.tile_width / 2.0, text_y = image_y + side + 18;
  canvas.text(names[static_cast<std::size_t>(item.predicted)], centre, text_y, 13,
              wrong ? kWrong : kRight, Align::center, true);
  canvas.text("true: " + names[static_cast<std::size_t>(item.truth)], centre, text_y + 18, 12,
              wrong ? kInk : kMuted, Align::center, wrong);
}

void draw_title(PngCanvas& canvas, const std::vector<SpriteItem>& items, const std::string& source,
                const SpriteLayout& l) {
  const auto wrong = std::count_if(items.begin(), items.end(),
                                   [](const SpriteItem& it) { return it.predicted != it.truth; });
  const std::string title = source + ": " + std::to_string(wrong) + " of " +
                            std::to_string(items.size()) + " misclassified";
  // Narrow sprites (few images) get a smaller title rather than a clipped one.
  const double room = l.width() - 2.0 * (l.margin + 4);
  const double size = std::min(15.0, 15.0 * room / canvas.text_width(title, 15, true));
  canvas.text(title, l.margin + 4, 22, size, kInk, Align::left, true);
  canvas.text("green: predicted class, correct", l.margin + 4, 40, 12, kRight);
  canvas.text("red frame: misclassified", l.width() - l.margin - 4, 40, 12, kWrong, Align::right,
              true);
}

}  // namespace

SpriteLayout sprite_layout(int count) {
  SpriteLayout layout;
  layout.columns = std::clamp(static_cast<int>(std::ceil(std::sqrt(count))), 1, 10);
  layout.columns = std::max(layout.columns, 3);  // room for the title and legend
  layout.rows = std::max(1, (count + layout.columns - 1) / layout.columns);
  return layout;
}

void write_sprite(const std::vector<SpriteItem>& items,
                  const std::array<std::string, kNumClasses>& class_names,
                  const std::string& source, const std::string& path) {
  if (items.empty()) throw Error(path + ": no images to draw");
  for (const SpriteItem& item : items) {
    if (item.predicted < 0 || item.predicted >= kNumClasses || item.truth < 0 ||
        item.truth >= kNumClasses) {
      throw Error(path + ": class " + std::to_string(item.truth) + " or prediction " +
                  std::to_string(item.predicted) + " is outside 0-9");
    }
  }
  const SpriteLayout layout = sprite_layout(static_cast<int>(items.size()));
  PngCanvas canvas(layout.width(), layout.height(), kWhite);
  draw_title(canvas, items, source, layout);
  for (std::size_t i = 0; i < items.size(); ++i) {
    draw_tile(canvas, items[i], layout, static_cast<int>(i), class_names);
  }
  canvas.write_png(path);
}

}  // namespace dptrain
