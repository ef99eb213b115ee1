// Writes the input files the command line tests feed to dptrain: a small valid Fashion-MNIST
// directory, one directory per kind of broken IDX input, and broken HDF5 files.
#include <hdf5.h>

#include <iostream>

#include "idx_files.h"

namespace t = dptrain::testing;

namespace {

void copy_good(const std::string& from, const std::string& to) {
  std::filesystem::create_directories(to);
  for (const auto& f : std::filesystem::directory_iterator(from)) {
    std::filesystem::copy_file(f.path(), to + "/" + f.path().filename().string());
  }
}

// /<split>/images of shape `image_dims` and /<split>/labels to match, neither written. With
// `compressed`, gzip-chunked: such a file's shape cannot be checked against its stored bytes.
void add_split(hid_t file, const char* split, const std::vector<hsize_t>& image_dims, bool compressed) {
  hid_t g = H5Gcreate2(file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(image_dims.size()), image_dims.data(), nullptr);
  hid_t images = H5Pcreate(H5P_DATASET_CREATE), labels = H5Pcreate(H5P_DATASET_CREATE);
  if (compressed) {
    std::vector<hsize_t> chunk = image_dims;
    chunk[0] = 1;
    H5Pset_chunk(images, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(images, 6);
    H5Pset_chunk(labels, 1, chunk.data());
    H5Pset_deflate(labels, 6);
  }
  hid_t d = H5Dcreate2(g, "images", H5T_STD_U8LE, space, H5P_DEFAULT, images, H5P_DEFAULT);
  hid_t lspace = H5Screate_simple(1, image_dims.data(), nullptr);
  hid_t l = H5Dcreate2(g, "labels", H5T_STD_U8LE, lspace, H5P_DEFAULT, labels, H5P_DEFAULT);
  H5Pclose(labels);
  H5Pclose(images);
  H5Dclose(l);
  H5Sclose(lspace);
  H5Dclose(d);
  H5Sclose(space);
  H5Gclose(g);
}

// A file with /train of shape `image_dims` (none if empty) and, if `test`, a /test of 5 images.
void write_h5(const std::string& path, const std::vector<hsize_t>& image_dims, bool compressed = false,
              bool test = false) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (!image_dims.empty()) add_split(f, "train", image_dims, compressed);
  if (test) add_split(f, "test", {5, 28, 28}, compressed);
  H5Fclose(f);
}

// An HDF5 file whose format_version attribute says `version`.
void write_versioned_h5(const std::string& path, int version) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "format_version", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT, &version);
  H5Aclose(a);
  H5Sclose(space);
  H5Fclose(f);
}

// An HDF5 file whose format_version is the float 1.5, which HDF5 would read as the integer 1.
void write_float_versioned_h5(const std::string& path) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "format_version", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  const double version = 1.5;
  H5Awrite(a, H5T_NATIVE_DOUBLE, &version);
  H5Aclose(a);
  H5Sclose(space);
  H5Fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fixtures DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  t::write_tiny_fashion_mnist(dir + "/good", 12, 5, true);
  t::write_tiny_fashion_mnist(dir + "/three", 3, 5, false);
  t::write_tiny_fashion_mnist(dir + "/medium", 1999, 300, true);  // for runs that last a while
  std::filesystem::create_directories(dir + "/nofiles");

  copy_good(dir + "/good", dir + "/badmagic");
  auto images = t::idx_bytes({12, 28, 28}, t::tiny_split(12, 0).images);
  images[3] = 2;  // claims 2 dimensions
  t::write_bytes(dir + "/badmagic/train-images-idx3-ubyte.gz", images, true);

  copy_good(dir + "/good", dir + "/truncated");
  images = t::idx_bytes({12, 28, 28}, t::tiny_split(12, 0).images);
  images.resize(images.size() - 100);
  t::write_bytes(dir + "/truncated/train-images-idx3-ubyte.gz", images, true);

  copy_good(dir + "/good", dir + "/mismatch");
  t::write_bytes(dir + "/mismatch/train-labels-idx1-ubyte.gz",
                 t::idx_bytes({11}, std::vector<std::uint8_t>(11, 1)), true);

  copy_good(dir + "/good", dir + "/badlabel");
  std::vector<std::uint8_t> labels(12, 3);
  labels[7] = 10;
  t::write_bytes(dir + "/badlabel/train-labels-idx1-ubyte.gz", t::idx_bytes({12}, labels), true);

  write_h5(dir + "/empty.h5", {});
  write_h5(dir + "/wrongshape.h5", {12, 784});
  write_h5(dir + "/trainonly.h5", {12, 28, 28});
  write_h5(dir + "/notrain.h5", {0, 28, 28});
  write_versioned_h5(dir + "/version99.h5", 99);
  write_float_versioned_h5(dir + "/versionfloat.h5");
  // 10^12 samples: more than a 64-bit address space holds, whatever the machine's memory.
  write_h5(dir + "/hugeclaim.h5", {1000000000000, 28, 28}, true, true);
  std::ofstream(dir + "/text.h5") << "this is not HDF5\n";
  return 0;
}
