// Fashion-MNIST as dptrain stores it: uint8 images [N,28,28] and uint8 labels [N] for the
// train and test splits, read from the four IDX files the dataset is distributed as.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dptrain {

constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;
constexpr int kNumClasses = 10;

// The class names in label order, as torchvision's FashionMNIST.classes gives them.
const std::array<std::string, kNumClasses>& fashion_mnist_classes();

struct Split {
  std::string name;                  // "train" or "test"
  std::int64_t count = 0;
  std::vector<std::uint8_t> images;  // count * 28 * 28
  std::vector<std::uint8_t> labels;  // count, each 0..9
  std::string images_source;         // file name and SHA-256 of where they came from
  std::string images_sha256;
  std::string labels_source;
  std::string labels_sha256;
};

struct FashionMnist {
  Split train;
  Split test;
};

// The four IDX files in `dir`, plain or .gz, in the order train images, train labels, test
// images, test labels; throws dptrain::Error naming the first one missing.
std::array<std::string, 4> fashion_mnist_idx_files(const std::string& dir);

// Reads and validates the four IDX files in `dir` (train-images-idx3-ubyte[.gz], ...).
FashionMnist read_fashion_mnist_idx(const std::string& dir);

// Reads one split from its image and label IDX files; checks shapes, counts and labels.
Split read_idx_split(const std::string& name, const std::string& images_path,
                     const std::string& labels_path);

}  // namespace dptrain
