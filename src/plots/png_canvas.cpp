#include "dptrain/plots/png_canvas.h"

#include <vector>

#include "dptrain/data/atomic_file.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

PngCanvas::PngCanvas(int width, int height, Rgb background)
    : width_(width),
      height_(height),
      surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)),
      cr_(cairo_create(surface_)) {
  if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS) {
    const std::string why = cairo_status_to_string(cairo_status(cr_));
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
    throw Error("cannot create a " + std::to_string(width) + "x" + std::to_string(height) +
                " picture (" + why + ")");
  }
  fill_rect(0, 0, width, height, background);
}

PngCanvas::~PngCanvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void PngCanvas::fill_rect(double x, double y, double w, double h, Rgb color) {
  cairo_set_source_rgb(cr_, color.r, color.g, color.b);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
}

void PngCanvas::frame_rect(double x, double y, double w, double h, double line, Rgb color) {
  cairo_set_source_rgb(cr_, color.r, color.g, color.b);
  cairo_set_line_width(cr_, line);
  cairo_rectangle(cr_, x + line / 2, y + line / 2, w - line, h - line);
  cairo_stroke(cr_);
}

void PngCanvas::set_font(double size, bool bold) {
  cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
}

double PngCanvas::text_width(const std::string& s, double size, bool bold) {
  set_font(size, bold);
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, s.c_str(), &extents);
  return extents.x_advance;
}

void PngCanvas::text(const std::string& s, double x, double y, double size, Rgb color,
                     Align align, bool bold, double angle) {
  const double w = text_width(s, size, bold);
  const double shift = align == Align::left ? 0.0 : align == Align::center ? w / 2 : w;
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  cairo_rotate(cr_, -angle * kPi / 180.0);
  cairo_move_to(cr_, -shift, 0);
  cairo_set_source_rgb(cr_, color.r, color.g, color.b);
  cairo_show_text(cr_, s.c_str());
  cairo_restore(cr_);
}

void PngCanvas::grey_image(const std::uint8_t* pixels, int side, double x, double y, int scale) {
  const int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, side);
  std::vector<unsigned char> data(static_cast<std::size_t>(stride) * side);
  for (int row = 0; row < side; ++row) {
    auto* out = reinterpret_cast<std::uint32_t*>(data.data() + row * stride);
    for (int col = 0; col < side; ++col) {
      const std::uint32_t v = pixels[row * side + col];
      out[col] = (v << 16) | (v << 8) | v;  // RGB24: native-endian 0x00RRGGBB
    }
  }
  cairo_surface_t* image =
      cairo_image_surface_create_for_data(data.data(), CAIRO_FORMAT_RGB24, side, side, stride);
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  cairo_scale(cr_, scale, scale);
  cairo_set_source_surface(cr_, image, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_NEAREST);
  cairo_rectangle(cr_, 0, 0, side, side);
  cairo_fill(cr_);
  cairo_restore(cr_);
  cairo_surface_destroy(image);
}

void PngCanvas::write_png(const std::string& path) const {
  cairo_surface_flush(surface_);
  replace_atomically(path, [&](const std::string& temporary) {
    const cairo_status_t status = cairo_surface_write_to_png(surface_, temporary.c_str());
    if (status != CAIRO_STATUS_SUCCESS) {
      throw Error(path + ": cannot write PNG (" + cairo_status_to_string(status) + ")");
    }
  });
}

}  // namespace dptrain
