// Test helpers: write small IDX files and complete Fashion-MNIST-shaped directories, so the
// tests exercise the real reader and converter without the real dataset.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dptrain::testing {

inline std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& dims,
                                           const std::vector<std::uint8_t>& values) {
  std::vector<std::uint8_t> bytes = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back((d >> shift) & 0xff);
  }
  bytes.insert(bytes.end(), values.begin(), values.end());
  return bytes;
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes,
                        bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

// Deterministic pixels and labels for `count` images starting at `first`.
struct TinySplit {
  std::vector<std::uint8_t> images;
  std::vector<std::uint8_t> labels;
};

inline TinySplit tiny_split(std::uint32_t count, std::uint32_t first) {
  TinySplit split;
  for (std::uint32_t i = 0; i < count; ++i) {
    for (int p = 0; p < 28 * 28; ++p) split.images.push_back(static_cast<std::uint8_t>((first + i) * 7 + p * 3));
    split.labels.push_back(static_cast<std::uint8_t>((first + i) % 10));
  }
  return split;
}

// Writes the four files into `dir` (created), `train` and `test` images each.
inline void write_tiny_fashion_mnist(const std::string& dir, std::uint32_t train,
                                     std::uint32_t test, bool gzip) {
  std::filesystem::create_directories(dir);
  const std::string suffix = gzip ? ".gz" : "";
  const TinySplit tr = tiny_split(train, 0), te = tiny_split(test, 1000);
  write_bytes(dir + "/train-images-idx3-ubyte" + suffix, idx_bytes({train, 28, 28}, tr.images), gzip);
  write_bytes(dir + "/train-labels-idx1-ubyte" + suffix, idx_bytes({train}, tr.labels), gzip);
  write_bytes(dir + "/t10k-images-idx3-ubyte" + suffix, idx_bytes({test, 28, 28}, te.images), gzip);
  write_bytes(dir + "/t10k-labels-idx1-ubyte" + suffix, idx_bytes({test}, te.labels), gzip);
}

}  // namespace dptrain::testing
