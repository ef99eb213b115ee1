#include <gtest/gtest.h>

#include "../support/error_of.h"
#include <hdf5.h>

#include <filesystem>

#include "../support/idx_files.h"
#include "../support/scratch_dir.h"
#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

namespace fs = std::filesystem;

using testing::error_of;

class Hdf5Dataset : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir("h5");
    testing::write_tiny_fashion_mnist(dir_ + "/idx", 23, 11, true);
    data_ = read_fashion_mnist_idx(dir_ + "/idx");
    file_ = dir_ + "/fm.h5";
  }
  std::string dir_, file_;
  FashionMnist data_;
};

TEST_F(Hdf5Dataset, RoundTripsEveryShard) {
  write_dataset(data_, file_, false);
  EXPECT_EQ(split_length(file_, "train"), 23);
  EXPECT_EQ(split_length(file_, "test"), 11);
  for (int ranks = 1; ranks <= 4; ++ranks) {
    std::vector<std::uint8_t> images, labels;
    for (int r = 0; r < ranks; ++r) {
      const Shard s = read_shard(file_, "train", shard_range(23, r, ranks));
      images.insert(images.end(), s.images.begin(), s.images.end());
      labels.insert(labels.end(), s.labels.begin(), s.labels.end());
    }
    EXPECT_EQ(images, data_.train.images);
    EXPECT_EQ(labels, data_.train.labels);
  }
  const Shard test = read_shard(file_, "test", {0, 11});
  EXPECT_EQ(test.images, data_.test.images);
}

// A rank's two shards, read with one opening of the file, are the shards read one by one.
TEST_F(Hdf5Dataset, ARanksShardsAreItsShardsOfBothSplits) {
  write_dataset(data_, file_, false);
  for (int ranks : {1, 3, 11}) {
    for (int r = 0; r < ranks; ++r) {
      const RankShards mine = read_rank_shards(file_, r, ranks);
      EXPECT_EQ(mine.train_samples, 23);
      const Shard train = read_shard(file_, "train", shard_range(23, r, ranks));
      const Shard test = read_shard(file_, "test", shard_range(11, r, ranks));
      EXPECT_EQ(mine.train.begin, train.begin);
      EXPECT_EQ(mine.train.images, train.images);
      EXPECT_EQ(mine.train.labels, train.labels);
      EXPECT_EQ(mine.test.begin, test.begin);
      EXPECT_EQ(mine.test.images, test.images);
      EXPECT_EQ(mine.test.labels, test.labels);
    }
  }
  EXPECT_NE(error_of([&] { read_rank_shards(file_, 0, 24); })
                .find("23 training samples for 24 ranks; every rank needs at least one sample"),
            std::string::npos);
}

TEST_F(Hdf5Dataset, RecordsAttributesAndChunksImages) {
  write_dataset(data_, file_, false);
  hid_t f = H5Fopen(file_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_GT(H5Aexists(f, "format_version"), 0);
  EXPECT_GT(H5Aexists(f, "class_names"), 0);
  hid_t images = H5Dopen2(f, "/train/images", H5P_DEFAULT);
  hid_t plist = H5Dget_create_plist(images);
  EXPECT_EQ(H5Pget_layout(plist), H5D_CHUNKED);
  EXPECT_GT(H5Aexists(images, "source_sha256"), 0);
  hid_t attr = H5Aopen(images, "source_sha256", H5P_DEFAULT);
  hid_t type = H5Aget_type(attr);
  std::string digest(H5Tget_size(type), '\0');
  H5Aread(attr, type, digest.data());
  EXPECT_EQ(digest.c_str(), data_.train.images_sha256);
  EXPECT_EQ(data_.train.images_sha256.size(), 64u);
  H5Tclose(type);
  H5Aclose(attr);
  H5Pclose(plist);
  H5Dclose(images);
  H5Fclose(f);
}

TEST_F(Hdf5Dataset, RefusesToOverwriteWithoutForce) {
  write_dataset(data_, file_, false);
  const auto before = fs::last_write_time(file_);
  EXPECT_NE(error_of([&] { write_dataset(data_, file_, false); }).find("already exists"),
            std::string::npos);
  EXPECT_EQ(fs::last_write_time(file_), before);
  write_dataset(data_, file_, true);
}

TEST_F(Hdf5Dataset, LeavesNoPartialFileOnFailure) {
  EXPECT_NE(error_of([&] { write_dataset(data_, dir_ + "/missing/fm.h5", false); })
                .find("does not exist"),
            std::string::npos);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_TRUE(entry.path().filename() == "idx") << entry.path();
  }
}

TEST_F(Hdf5Dataset, RejectsFilesThatAreNotDatasets) {
  EXPECT_NE(error_of([&] { split_length(dir_ + "/none.h5", "train"); }).find("no such file"),
            std::string::npos);
  std::ofstream(dir_ + "/text.h5") << "not hdf5";
  EXPECT_NE(error_of([&] { split_length(dir_ + "/text.h5", "train"); }).find("not an HDF5 file"),
            std::string::npos);
  hid_t f = H5Fcreate((dir_ + "/empty.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  EXPECT_NE(error_of([&] { split_length(dir_ + "/empty.h5", "train"); })
                .find("missing dataset /train/images"),
            std::string::npos);
}

TEST_F(Hdf5Dataset, RejectsWrongShapes) {
  hid_t f = H5Fcreate((dir_ + "/flat.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[2] = {5, 784};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t d = H5Dcreate2(g, "images", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t l = H5Dcreate2(g, "labels", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(l);
  H5Dclose(d);
  H5Sclose(space);
  H5Gclose(g);
  H5Fclose(f);
  EXPECT_NE(error_of([&] { split_length(dir_ + "/flat.h5", "train"); })
                .find("/train/images has shape [5,784], expected [N,28,28]"),
            std::string::npos);
}

TEST_F(Hdf5Dataset, RejectsTruncatedFile) {
  write_dataset(data_, file_, false);
  fs::resize_file(file_, fs::file_size(file_) / 2);
  EXPECT_NE(error_of([&] { read_shard(file_, "train", {0, 23}); }).find(file_ + ": "),
            std::string::npos);
}

// A file whose /train datasets have `samples` rows and no data written: HDF5 would read them
// as zeros, so only the reader's own check can tell that the data is missing.
void write_unwritten_split(const std::string& path, hsize_t samples) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t image_dims[3] = {samples, 28, 28};
  hid_t images = H5Screate_simple(3, image_dims, nullptr);
  hid_t labels = H5Screate_simple(1, &samples, nullptr);
  H5Dclose(H5Dcreate2(g, "images", H5T_STD_U8LE, images, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Dclose(H5Dcreate2(g, "labels", H5T_STD_U8LE, labels, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Sclose(labels);
  H5Sclose(images);
  H5Gclose(g);
  H5Fclose(f);
}

// Found by fuzzing: the reader believed any shape and allocated memory for it, so a corrupt
// file made ranks allocate terabytes (std::bad_alloc) or train on zeros that were never stored.
TEST_F(Hdf5Dataset, RejectsShapesWithoutStoredData) {
  const std::string path = dir_ + "/unwritten.h5";
  write_unwritten_split(path, 100);
  EXPECT_NE(error_of([&] { read_shard(path, "train", {0, 100}); })
                .find("/train/images has shape [100,28,28] (78400 bytes) but stores only 0 bytes"),
            std::string::npos);
  write_unwritten_split(path, hsize_t{1} << 40);
  EXPECT_NE(error_of([&] { split_length(path, "train"); }).find("but stores only 0 bytes"),
            std::string::npos);
  write_unwritten_split(path, hsize_t{1} << 62);
  EXPECT_NE(error_of([&] { split_length(path, "train"); })
                .find("/train/images has an implausibly large shape"),
            std::string::npos);
}

}  // namespace
}  // namespace dptrain
