// A sprite of test images, like the workshop's figure: each image with the class the model
// predicted and the true class; misclassified images framed and labelled in red.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dptrain/data/fashion_mnist.h"

namespace dptrain {

struct SpriteItem {
  const std::uint8_t* pixels = nullptr;  // 28 x 28, row-major
  int predicted = 0;
  int truth = 0;
};

// Where the sprite puts things, so callers and tests know the picture's size and tiles.
struct SpriteLayout {
  int scale = 4;          // each image pixel becomes scale x scale
  int tile_width = 156;
  int tile_height = 172;  // image, then two text lines
  int top = 48;           // title and legend
  int margin = 8;
  int columns = 0;
  int rows = 0;
  int width() const { return 2 * margin + columns * tile_width; }
  int height() const { return top + rows * tile_height + margin; }
  int tile_x(int i) const { return margin + (i % columns) * tile_width; }
  int tile_y(int i) const { return top + (i / columns) * tile_height; }
};

// A near-square grid for `count` images (at most 10 columns).
SpriteLayout sprite_layout(int count);

// Writes the sprite of `items` to `path` (PNG, atomically), titled with where they come from
// (e.g. "test images 0-24"). Throws for no items.
void write_sprite(const std::vector<SpriteItem>& items,
                  const std::array<std::string, kNumClasses>& class_names,
                  const std::string& source, const std::string& path);

}  // namespace dptrain
