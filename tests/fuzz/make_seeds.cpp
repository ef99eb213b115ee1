// Writes the seed corpora for the fuzz targets: small valid inputs made by dptrain's own
// writers, plus truncated copies, so fuzzing starts from files that pass most checks instead
// of from random bytes that fail the first one. Generated at run time; nothing binary is kept
// in the repository.
//
//   make_seeds DIR   → DIR/idx, DIR/hdf5_dataset, DIR/checkpoint, DIR/zip
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
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

void append_u16(Bytes& out, std::uint32_t value) {
  out.push_back(value & 0xff);
  out.push_back(value >> 8 & 0xff);
}

void append_u32(Bytes& out, std::uint32_t value) {
  append_u16(out, value & 0xffff);
  append_u16(out, value >> 16);
}

// A zip archive of stored records, laid out as LibTorch's model files are: a local header and
// the data per record, then the central directory and its end record.
Bytes stored_zip(const std::vector<std::pair<std::string, Bytes>>& records) {
  Bytes zip, directory;
  for (const auto& [name, data] : records) {
    const auto crc = static_cast<std::uint32_t>(crc32(0L, data.data(), static_cast<uInt>(data.size())));
    const auto offset = static_cast<std::uint32_t>(zip.size());
    // Local header: signature, version, flags, method 0, time, date, CRC, sizes, name, extra.
    append_u32(zip, 0x04034b50);
    for (std::uint32_t field : {20u, 0u, 0u, 0u, 0u}) append_u16(zip, field);
    for (std::uint32_t field : {crc, static_cast<std::uint32_t>(data.size()),
                                static_cast<std::uint32_t>(data.size())}) append_u32(zip, field);
    append_u16(zip, static_cast<std::uint32_t>(name.size()));
    append_u16(zip, 0);
    zip.insert(zip.end(), name.begin(), name.end());
    zip.insert(zip.end(), data.begin(), data.end());
    // Central header: signature, versions, flags, method, time, date, CRC, sizes, name, extra,
    // comment, disk, attributes (2 + 4 bytes), local header's offset, name.
    append_u32(directory, 0x02014b50);
    for (std::uint32_t field : {20u, 20u, 0u, 0u, 0u, 0u}) append_u16(directory, field);
    for (std::uint32_t field : {crc, static_cast<std::uint32_t>(data.size()),
                                static_cast<std::uint32_t>(data.size())}) append_u32(directory, field);
    append_u16(directory, static_cast<std::uint32_t>(name.size()));
    for (std::uint32_t field : {0u, 0u, 0u, 0u}) append_u16(directory, field);
    append_u32(directory, 0);
    append_u32(directory, offset);
    directory.insert(directory.end(), name.begin(), name.end());
  }
  const auto directory_offset = static_cast<std::uint32_t>(zip.size());
  zip.insert(zip.end(), directory.begin(), directory.end());
  // End record: signature, disks, records here and in all, directory size and offset, comment.
  append_u32(zip, 0x06054b50);
  for (std::uint32_t field : {0u, 0u}) append_u16(zip, field);
  for (int i = 0; i < 2; ++i) append_u16(zip, static_cast<std::uint32_t>(records.size()));
  append_u32(zip, static_cast<std::uint32_t>(directory.size()));
  append_u32(zip, directory_offset);
  append_u16(zip, 0);
  return zip;
}

void write_zip_seeds(const fs::path& dir) {
  Bytes zip = stored_zip({{"archive/data/0", Bytes(64, 7)}, {"archive/data.pkl", Bytes{1, 2, 3}}});
  write_seed(dir / "model.pt", zip);
  add_truncated_copy(dir / "model.pt");
  zip[40] ^= 1;  // inside the first record's data: fails its CRC-32
  write_seed(dir / "flipped.pt", zip);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  const fs::path root(argv[1]);
  for (const char* target : {"idx", "hdf5_dataset", "checkpoint", "zip"}) {
    fs::remove_all(root / target);
    fs::create_directories(root / target);
  }
  write_idx_seeds(root / "idx");
  write_hdf5_seeds(root / "hdf5_dataset");
  write_checkpoint_seeds(root / "checkpoint");
  write_zip_seeds(root / "zip");
  return 0;
}
