#include "dptrain/data/fashion_mnist.h"

#include <filesystem>

#include "dptrain/data/idx.h"
#include "dptrain/data/sha256.h"
#include "dptrain/error.h"

namespace dptrain {

const std::array<std::string, kNumClasses>& fashion_mnist_classes() {
  static const std::array<std::string, kNumClasses> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

Split read_idx_split(const std::string& name, const std::string& images_path,
                     const std::string& labels_path) {
  IdxArray images = read_idx(images_path, 3);
  IdxArray labels = read_idx(labels_path, 1);
  if (images.dims[1] != kImageSide || images.dims[2] != kImageSide) {
    throw Error(images_path + ": images are " + std::to_string(images.dims[1]) + "x" +
                std::to_string(images.dims[2]) + ", expected 28x28");
  }
  if (images.dims[0] == 0) throw Error(images_path + ": contains no images");
  if (images.dims[0] != labels.dims[0]) {
    throw Error(labels_path + ": " + std::to_string(labels.dims[0]) + " labels for " +
                std::to_string(images.dims[0]) + " images in " + images_path);
  }
  for (std::size_t i = 0; i < labels.values.size(); ++i) {
    if (labels.values[i] >= kNumClasses) {
      throw Error(labels_path + ": label " + std::to_string(labels.values[i]) + " at item " +
                  std::to_string(i) + " is outside 0-9");
    }
  }
  Split split;
  split.name = name;
  split.count = images.dims[0];
  split.images = std::move(images.values);
  split.labels = std::move(labels.values);
  split.images_source = std::filesystem::path(images_path).filename().string();
  split.images_sha256 = sha256_of_file(images_path);
  split.labels_source = std::filesystem::path(labels_path).filename().string();
  split.labels_sha256 = sha256_of_file(labels_path);
  return split;
}

std::array<std::string, 4> fashion_mnist_idx_files(const std::string& dir) {
  // Looked up in a fixed order, so a missing file is reported predictably.
  return {find_idx_file(dir, "train-images-idx3-ubyte"), find_idx_file(dir, "train-labels-idx1-ubyte"),
          find_idx_file(dir, "t10k-images-idx3-ubyte"), find_idx_file(dir, "t10k-labels-idx1-ubyte")};
}

FashionMnist read_fashion_mnist_idx(const std::string& dir) {
  const auto files = fashion_mnist_idx_files(dir);
  FashionMnist data;
  data.train = read_idx_split("train", files[0], files[1]);
  data.test = read_idx_split("test", files[2], files[3]);
  return data;
}

}  // namespace dptrain
