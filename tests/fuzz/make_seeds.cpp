// Writes the seed corpora for the fuzz targets: small valid inputs made by dptrain's own
// writers, plus truncated copies, so fuzzing starts from files that pass most checks instead
// of from random bytes that fail the first one. Generated at run time; nothing binary is kept
// in the repository.
//
//   make_seeds DIR   → DIR/idx, DIR/hdf5_dataset, DIR/checkpoint
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "../support/idx_files.h"
#include "dptrain/checkpoint/checkpoint_file.h"
#include "dptrain/data/hdf5_dataset.h"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_seed(const fs::path& path, const Bytes& bytes) {
  dptrain::testing::write_bytes(path.string(), bytes, false);
}

// A copy of the file at `path` cut at half its length, the most common corruption.
void add_truncated_copy(const fs::path& path) {
  Bytes bytes = read_bytes(path);
  bytes.resize(bytes.size() / 2);
  write_seed(path.string() + ".half", bytes);
}

void write_idx_seeds(const fs::path& dir) {
  const dptrain::testing::TinySplit split = dptrain::testing::tiny_split(2, 0);
  const Bytes images = dptrain::testing::idx_bytes({2, 28, 28}, split.images);
  const Bytes labels = dptrain::testing::idx_bytes({2}, split.labels);
  write_seed(dir / "images", images);
  write_seed(dir / "labels", labels);
  dptrain::testing::write_bytes((dir / "images.gz").string(), images, true);
  dptrain::testing::write_bytes((dir / "labels.gz").string(), labels, true);
  for (const char* name : {"images", "labels", "images.gz"}) add_truncated_copy(dir / name);
}

dptrain::Split tiny_split(const std::string& name, std::uint32_t count, std::uint32_t first) {
  const dptrain::testing::TinySplit pixels = dptrain::testing::tiny_split(count, first);
  dptrain::Split split;
  split.name = name;
  split.count = count;
  split.images = pixels.images;
  split.labels = pixels.labels;
  split.images_source = split.labels_source = "seed";
  split.images_sha256 = split.labels_sha256 = std::string(64, '0');
  return split;
}

void write_hdf5_seeds(const fs::path& dir) {
  dptrain::FashionMnist data{tiny_split("train", 3, 0), tiny_split("test", 2, 100)};
  dptrain::write_dataset(data, (dir / "valid.h5").string(), true);
  add_truncated_copy(dir / "valid.h5");
  // A label outside 0-9 reaches the reader's label check without any mutation.
  data.test.labels[1] = 10;
  dptrain::write_dataset(data, (dir / "bad-label.h5").string(), true);
}

void write_checkpoint_seeds(const fs::path& dir) {
  const dptrain::CheckpointFile empty;
  const dptrain::CheckpointFile typical{R"({"epoch": 2, "step": 1875, "ranks": 4})",
                                        Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  write_seed(dir / "empty", dptrain::serialize_checkpoint(empty));
  write_seed(dir / "typical", dptrain::serialize_checkpoint(typical));
  add_truncated_copy(dir / "typical");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  const fs::path root(argv[1]);
  for (const char* target : {"idx", "hdf5_dataset", "checkpoint"}) {
    fs::remove_all(root / target);
    fs::create_directories(root / target);
  }
  write_idx_seeds(root / "idx");
  write_hdf5_seeds(root / "hdf5_dataset");
  write_checkpoint_seeds(root / "checkpoint");
  return 0;
}
