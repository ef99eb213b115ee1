// The digest convert records of each IDX file (source_sha256), against the published test
// vectors of SHA-256 (FIPS 180-2), not against another run of the same code.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../support/scratch_dir.h"
#include "dptrain/data/sha256.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

std::string file_with(const std::string& name, const std::string& bytes) {
  const std::string path = testing::scratch_dir("sha256") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(Sha256, EmptyFile) {
  EXPECT_EQ(sha256_of_file(file_with("empty", "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, ThreeBytes) {
  EXPECT_EQ(sha256_of_file(file_with("abc", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A million bytes: the file is read in 64 KiB pieces, and the last one is partial.
TEST(Sha256, MillionBytesReadInPieces) {
  EXPECT_EQ(sha256_of_file(file_with("million", std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MissingFileIsNamed) {
  try {
    sha256_of_file("/nonexistent/train-images-idx3-ubyte");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/train-images-idx3-ubyte: cannot open for reading");
  }
}

}  // namespace
}  // namespace dptrain
