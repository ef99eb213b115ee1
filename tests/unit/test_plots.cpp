// The pictures dptrain writes: they decode as PNG, have the layout's size, and show what they
// claim (shaded cells, grey images, red frames on misclassified images) at known pixels.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "../support/error_of.h"
#include "../support/png_file.h"
#include "../support/scratch_dir.h"
#include "dptrain/data/atomic_file.h"
#include "dptrain/error.h"
#include "dptrain/plots/confusion_heatmap.h"
#include "dptrain/plots/png_canvas.h"
#include "dptrain/plots/sprite.h"

namespace dptrain {
namespace {

using testing::read_png;

std::vector<std::string> names() {
  const auto& n = fashion_mnist_classes();
  return {n.begin(), n.end()};
}

TEST(PngCanvas, WritesWhatWasDrawn) {
  const std::string dir = testing::scratch_dir("canvas");
  PngCanvas canvas(40, 30, {1, 1, 1});
  canvas.fill_rect(10, 5, 10, 10, {1, 0, 0});
  const std::vector<std::uint8_t> grey(4, 128);
  canvas.grey_image(grey.data(), 2, 30, 20, 3);  // 6x6 pixels at (30, 20)
  canvas.write_png(dir + "/c.png");
  const auto png = read_png(dir + "/c.png");
  ASSERT_TRUE(png.decoded) << png.error;
  EXPECT_EQ(png.width, 40);
  EXPECT_EQ(png.height, 30);
  EXPECT_EQ(png.at(0, 0), 0xffffffu);
  EXPECT_EQ(png.at(15, 10), 0xff0000u);
  EXPECT_EQ(png.at(32, 22), 0x808080u);
  EXPECT_EQ(png.at(36, 26), 0xffffffu);  // just past the enlarged image
}

TEST(PngCanvas, MissingDirectoryFailsNamingThePathAndWritesNothing) {
  const std::string dir = testing::scratch_dir("canvas-missing");
  PngCanvas canvas(4, 4, {1, 1, 1});
  try {
    canvas.write_png(dir + "/absent/c.png");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/absent/c.png"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(AtomicFile, FailedWriteKeepsTheOldFileAndNoTemporary) {
  const std::string dir = testing::scratch_dir("atomic");
  write_text_atomically(dir + "/a.json", "old");
  EXPECT_THROW(replace_atomically(dir + "/a.json",
                                  [](const std::string& temporary) {
                                    std::ofstream(temporary) << "half";
                                    throw Error("interrupted");
                                  }),
               Error);
  std::ifstream in(dir + "/a.json");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
}

// An output that must not replace a file (convert without --force): another process that
// creates the name while this one writes keeps its file, and this one says so.
TEST(AtomicFile, RefusingToReplaceHoldsAlsoAgainstAFileCreatedMeanwhile) {
  const std::string dir = testing::scratch_dir("atomic-refuse");
  const std::string path = dir + "/data.h5";
  const auto write_while_another_creates_it = [&](const std::string& temporary) {
    std::ofstream(temporary) << "this one";
    std::ofstream(path) << "the other";
  };
  EXPECT_NE(testing::error_of([&] { replace_atomically(path, write_while_another_creates_it, IfExists::refuse); })
                .find(path + ": already exists (another process created it while this one wrote)"),
            std::string::npos);
  std::ifstream in(path);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), "the other");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "a temporary file was left";
  // A name nobody took is written as usual.
  EXPECT_NO_THROW(replace_atomically(
      dir + "/fresh.h5", [](const std::string& temporary) { std::ofstream(temporary) << "x"; }, IfExists::refuse));
  EXPECT_TRUE(std::filesystem::exists(dir + "/fresh.h5"));
}

// Ctrl-C (or a scancel) while a long output is written: the process ends by that signal, as
// it would have without dptrain's handler, and leaves neither the temporary nor the target.
TEST(AtomicFileDeathTest, InterruptedWriteLeavesNoTemporary) {
  const std::string dir = testing::scratch_dir("atomic-signal");
  for (const int signal_number : {SIGINT, SIGTERM}) {
    EXPECT_EXIT(replace_atomically(dir + "/data.h5",
                                   [&](const std::string& temporary) {
                                     std::ofstream(temporary) << "half of the file";
                                     std::raise(signal_number);
                                   }),
                ::testing::KilledBySignal(signal_number), "");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 0) << signal_number;
  }
}

// A device or a directory in place of the output is refused, not replaced by a file.
TEST(AtomicFile, RefusesToReplaceWhatIsNotARegularFile) {
  const std::string dir = testing::scratch_dir("atomic-special");
  ASSERT_EQ(mkfifo((dir + "/pipe").c_str(), 0600), 0);
  std::filesystem::create_directory(dir + "/folder");
  for (const std::string name : {"/pipe", "/folder"}) {
    EXPECT_NE(testing::error_of([&] { write_text_atomically(dir + name, "text"); })
                  .find(dir + name + ": exists and is not a regular file"),
              std::string::npos);
  }
  EXPECT_TRUE(std::filesystem::is_fifo(dir + "/pipe"));
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/folder"));
}

TEST(ConfusionHeatmap, ShadesCellsByShareOfTheTrueClass) {
  const std::string dir = testing::scratch_dir("heatmap");
  // Class 0: all right; class 1: half taken for class 2; classes 3-9: no samples.
  const ConfusionMatrix m = confusion_matrix({0, 0, 0, 0, 1, 1}, {0, 0, 0, 0, 1, 2}, names());
  write_confusion_heatmap(m, dir + "/confusion.png");
  const auto png = read_png(dir + "/confusion.png");
  ASSERT_TRUE(png.decoded) << png.error;
  const HeatmapLayout l = heatmap_layout(kNumClasses);
  EXPECT_EQ(png.width, l.width());
  EXPECT_EQ(png.height, l.height());
  EXPECT_GT(png.colours(), 16u);
  // A corner inside each cell, clear of the grid line and the centred count.
  const auto corner = [&](int t, int p) { return std::make_pair(l.cell_x(p) + 4, l.cell_y(t) + 4); };
  auto [x00, y00] = corner(0, 0);
  auto [x11, y11] = corner(1, 1);
  auto [x12, y12] = corner(1, 2);
  auto [x01, y01] = corner(0, 1);
  EXPECT_LT(png.red(x00, y00), 40) << "a full row's diagonal cell is dark blue";
  EXPECT_GT(png.blue(x00, y00), png.red(x00, y00) + 50);
  EXPECT_EQ(png.at(x11, y11), png.at(x12, y12)) << "equal shares, equal shades";
  EXPECT_GT(png.red(x11, y11), png.red(x00, y00));
  EXPECT_EQ(png.at(x01, y01), 0xffffffu) << "an empty cell is white";
}

TEST(Sprite, FramesMisclassifiedImagesInRed) {
  const std::string dir = testing::scratch_dir("sprite");
  const std::vector<std::uint8_t> pixels(kImagePixels, 200);
  const std::vector<SpriteItem> items = {{pixels.data(), 9, 9}, {pixels.data(), 3, 6},
                                         {pixels.data(), 1, 1}, {pixels.data(), 0, 2},
                                         {pixels.data(), 5, 5}};
  write_sprite(items, fashion_mnist_classes(), "test images 0-4", dir + "/sprite.png");
  const auto png = read_png(dir + "/sprite.png");
  ASSERT_TRUE(png.decoded) << png.error;
  const SpriteLayout l = sprite_layout(5);
  EXPECT_EQ(l.columns, 3);
  EXPECT_EQ(l.rows, 2);
  EXPECT_EQ(png.width, l.width());
  EXPECT_EQ(png.height, l.height());
  EXPECT_GT(png.colours(), 16u);
  for (int i = 0; i < 5; ++i) {
    const bool wrong = items[static_cast<std::size_t>(i)].predicted != items[static_cast<std::size_t>(i)].truth;
    const int fx = l.tile_x(i) + 3, fy = l.tile_y(i) + l.tile_height / 2;  // on the frame's left edge
    if (wrong) {
      EXPECT_GT(png.red(fx, fy), 180) << "tile " << i;
      EXPECT_LT(png.green(fx, fy), 60) << "tile " << i;
    } else {
      EXPECT_EQ(png.at(fx, fy), 0xffffffu) << "tile " << i;
    }
    const int cx = l.tile_x(i) + l.tile_width / 2, cy = l.tile_y(i) + 10 + kImageSide * l.scale / 2;
    EXPECT_EQ(png.at(cx, cy), 0xc8c8c8u) << "tile " << i << " shows the image's grey";
  }
}

TEST(Sprite, LayoutIsNearSquareWithAtMostTenColumns) {
  EXPECT_EQ(sprite_layout(25).columns, 5);
  EXPECT_EQ(sprite_layout(25).rows, 5);
  EXPECT_EQ(sprite_layout(26).columns, 6);
  EXPECT_EQ(sprite_layout(26).rows, 5);
  EXPECT_EQ(sprite_layout(400).columns, 10);
  EXPECT_EQ(sprite_layout(400).rows, 40);
  EXPECT_EQ(sprite_layout(1).rows, 1);
}

TEST(Sprite, NoImagesOrUnknownClassesAreErrors) {
  const std::string dir = testing::scratch_dir("sprite-bad");
  EXPECT_THROW(write_sprite({}, fashion_mnist_classes(), "none", dir + "/s.png"), Error);
  const std::vector<std::uint8_t> pixels(kImagePixels, 0);
  EXPECT_THROW(write_sprite({{pixels.data(), 10, 1}}, fashion_mnist_classes(), "x", dir + "/s.png"),
               Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace
}  // namespace dptrain
