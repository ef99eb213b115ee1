#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "../support/error_of.h"

#include "../support/idx_files.h"
#include "../support/scratch_dir.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/idx.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

using testing::idx_bytes;

using testing::error_of;

TEST(Idx, ParsesHeaderAndValues) {
  const IdxArray a = parse_idx(idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6}), 2, "x");
  EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(a.values, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Idx, RejectsWrongMagic) {
  auto bytes = idx_bytes({2}, {1, 2});
  bytes[2] = 0x0d;  // float data
  EXPECT_NE(error_of([&] { parse_idx(bytes, 1, "f.idx"); }).find("f.idx: wrong IDX magic"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx(idx_bytes({2}, {1, 2}), 3, "f.idx"); }).find("wrong IDX magic"),
            std::string::npos);
}

TEST(Idx, RejectsTruncatedAndOverlongFiles) {
  EXPECT_NE(error_of([&] { parse_idx(idx_bytes({3}, {1, 2}), 1, "t"); }).find("truncated"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx({0, 0, 8}, 1, "t"); }).find("truncated"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx({0, 0, 8, 3, 0, 0}, 3, "t"); }).find("truncated"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx(idx_bytes({1}, {1, 2}), 1, "t"); }).find("after the data"),
            std::string::npos);
}

TEST(Idx, RejectsImplausibleDimensions) {
  EXPECT_NE(error_of([&] { parse_idx(idx_bytes({0xffffffff, 0xffff, 0xffff}, {}), 3, "big"); })
                .find("implausibly large"),
            std::string::npos);
}

// A small .gz that inflates to more than any IDX file (2 GiB of zeros after a 4-byte label
// file): refused for what it is, data after what the header describes, once the data ends.
// (Inflated whole, it was refused only at 2 GiB, for being too large, after taking that much
// memory.)
TEST(Idx, AGzipBombIsReadOnlyAsFarAsItsHeaderSays) {
  const std::string dir = testing::scratch_dir("idx-bomb"), path = dir + "/labels.gz";
  // Gzip members may follow each other: one of 64 MiB of zeros, compressed once, repeated.
  testing::write_bytes(path, idx_bytes({4}, {1, 2, 3, 4}), true);
  testing::write_bytes(dir + "/zeros.gz", std::vector<std::uint8_t>(std::size_t{64} << 20, 0), true);
  std::ifstream in(dir + "/zeros.gz", std::ios::binary);
  const std::string member((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream out(path, std::ios::binary | std::ios::app);
  for (int i = 0; i < 33; ++i) out << member;
  out.close();
  const std::string error = error_of([&] { read_idx(path, 1); });
  EXPECT_NE(error.find("labels.gz: IDX file goes on after the data its header describes (4 bytes)"),
            std::string::npos)
      << error;
}

TEST(Idx, ReadsGzipAndPlainFilesAlike) {
  const std::string dir = testing::scratch_dir("idx");
  const auto bytes = idx_bytes({4}, {9, 8, 7, 6});
  testing::write_bytes(dir + "/plain", bytes, false);
  testing::write_bytes(dir + "/packed.gz", bytes, true);
  EXPECT_EQ(read_idx(dir + "/plain", 1).values, read_idx(dir + "/packed.gz", 1).values);
  EXPECT_EQ(find_idx_file(dir, "packed"), dir + "/packed.gz");
  EXPECT_NE(error_of([&] { find_idx_file(dir, "absent"); }).find("no such file"), std::string::npos);
  EXPECT_NE(error_of([&] { find_idx_file(dir + "/nope", "x"); }).find("no such directory"),
            std::string::npos);
}

TEST(Idx, DetectsTruncatedGzipStream) {
  const std::string dir = testing::scratch_dir("idxgz");
  testing::write_bytes(dir + "/full.gz", idx_bytes({3000}, std::vector<std::uint8_t>(3000, 5)), true);
  std::ifstream in(dir + "/full.gz", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir + "/cut.gz", std::ios::binary) << all.substr(0, all.size() / 2);
  EXPECT_NE(error_of([&] { read_idx(dir + "/cut.gz", 1); }).find(dir + "/cut.gz: "), std::string::npos);
}

TEST(FashionMnistIdx, ValidatesCountsAndLabels) {
  const std::string dir = testing::scratch_dir("fm");
  testing::write_tiny_fashion_mnist(dir, 5, 3, false);
  EXPECT_EQ(read_fashion_mnist_idx(dir).train.count, 5);
  testing::write_bytes(dir + "/train-labels-idx1-ubyte", idx_bytes({4}, {0, 1, 2, 3}), false);
  EXPECT_NE(error_of([&] { read_fashion_mnist_idx(dir); }).find("4 labels for 5 images"),
            std::string::npos);
  testing::write_bytes(dir + "/train-labels-idx1-ubyte", idx_bytes({5}, {0, 1, 12, 3, 4}), false);
  EXPECT_NE(error_of([&] { read_fashion_mnist_idx(dir); }).find("label 12 at item 2"),
            std::string::npos);
}

}  // namespace
}  // namespace dptrain
