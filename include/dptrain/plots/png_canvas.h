// A small drawing surface for the pictures dptrain writes (confusion heatmap, image sprite):
// rectangles, text and 28x28 grey images on a cairo image surface, saved as PNG by cairo.
#pragma once

#include <cairo.h>

#include <cstdint>
#include <string>

namespace dptrain {

struct Rgb {
  double r = 0.0, g = 0.0, b = 0.0;  // 0..1
};

enum class Align { left, center, right };

class PngCanvas {
 public:
  // A canvas filled with `background`. Throws dptrain::Error if cairo cannot allocate it.
  PngCanvas(int width, int height, Rgb background);
  ~PngCanvas();
  PngCanvas(const PngCanvas&) = delete;
  PngCanvas& operator=(const PngCanvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }

  void fill_rect(double x, double y, double w, double h, Rgb color);
  // A frame of `line` pixels drawn inside the rectangle, so neighbours are never overdrawn.
  void frame_rect(double x, double y, double w, double h, double line, Rgb color);

  // Text whose baseline starts (left), is centred (center) or ends (right) at x; `angle` in
  // degrees, counter-clockwise, turns it about that point (90: reads bottom to top).
  void text(const std::string& s, double x, double y, double size, Rgb color,
            Align align = Align::left, bool bold = false, double angle = 0.0);
  double text_width(const std::string& s, double size, bool bold = false);

  // A side x side grey image (0 black .. 255 white) at (x, y), each pixel a scale x scale
  // block: enlarged without smoothing, so the pixels stay visible as in the workshop's figure.
  void grey_image(const std::uint8_t* pixels, int side, double x, double y, int scale);

  // Writes the canvas as PNG to `path` atomically. Throws dptrain::Error naming `path`.
  void write_png(const std::string& path) const;

 private:
  void set_font(double size, bool bold);

  int width_;
  int height_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

}  // namespace dptrain
