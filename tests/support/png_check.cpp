// Checks a PNG the command line tests made: it decodes, has the expected size and real
// content. Usage: png_check FILE (heatmap | sprite COUNT | WIDTHxHEIGHT)
// The heatmap and sprite sizes come from the layouts that drew them, not from copies here.
#include <cstdio>
#include <iostream>
#include <string>

#include "dptrain/data/fashion_mnist.h"
#include "dptrain/plots/confusion_heatmap.h"
#include "dptrain/plots/sprite.h"
#include "png_file.h"

namespace {

bool expected_size(int argc, char** argv, int& width, int& height) {
  const std::string kind = argv[2];
  if (kind == "heatmap") {
    const dptrain::HeatmapLayout l = dptrain::heatmap_layout(dptrain::kNumClasses);
    width = l.width();
    height = l.height();
    return true;
  }
  if (kind == "sprite" && argc == 4) {
    const dptrain::SpriteLayout l = dptrain::sprite_layout(std::stoi(argv[3]));
    width = l.width();
    height = l.height();
    return true;
  }
  return std::sscanf(kind.c_str(), "%dx%d", &width, &height) == 2;
}

}  // namespace

int main(int argc, char** argv) {
  int width = 0, height = 0;
  if (argc < 3 || !expected_size(argc, argv, width, height)) {
    std::cerr << "usage: png_check FILE (heatmap | sprite COUNT | WIDTHxHEIGHT)\n";
    return 2;
  }
  const dptrain::testing::PngImage image = dptrain::testing::read_png(argv[1]);
  if (!image.decoded) {
    std::cout << argv[1] << ": does not decode as PNG (" << image.error << ")\n";
    return 1;
  }
  std::cout << argv[1] << ": " << image.width << "x" << image.height << ", " << image.colours()
            << " colours";
  if (image.width != width || image.height != height) {
    std::cout << ", expected " << width << "x" << height << "\n";
    return 1;
  }
  // Text, cells and curves give hundreds of colours; a blank or flat picture gives one.
  if (image.colours() < 16) {
    std::cout << ", expected a picture with content\n";
    return 1;
  }
  std::cout << "\n";
  return 0;
}
