// Test helper: decodes a PNG with cairo (the library that wrote it, through its own reader)
// so tests can check what the picture holds: size, distinct colours, single pixels.
#pragma once

#include <cairo.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dptrain::testing {

struct PngImage {
  bool decoded = false;
  std::string error;  // cairo's reason when not decoded
  int width = 0;
  int height = 0;
  std::vector<std::uint32_t> pixels;  // 0x00RRGGBB, row-major

  std::uint32_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y * width + x)]; }
  int red(int x, int y) const { return (at(x, y) >> 16) & 0xff; }
  int green(int x, int y) const { return (at(x, y) >> 8) & 0xff; }
  int blue(int x, int y) const { return at(x, y) & 0xff; }
  std::size_t colours() const { return std::set<std::uint32_t>(pixels.begin(), pixels.end()).size(); }
};

inline PngImage read_png(const std::string& path) {
  PngImage image;
  cairo_surface_t* surface = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    image.error = cairo_status_to_string(cairo_surface_status(surface));
    cairo_surface_destroy(surface);
    return image;
  }
  image.decoded = true;
  image.width = cairo_image_surface_get_width(surface);
  image.height = cairo_image_surface_get_height(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  for (int y = 0; y < image.height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
    for (int x = 0; x < image.width; ++x) image.pixels.push_back(row[x] & 0xffffff);
  }
  cairo_surface_destroy(surface);
  return image;
}

}  // namespace dptrain::testing
