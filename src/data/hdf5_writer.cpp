// Writes Fashion-MNIST to HDF5 atomically: temporary file in the target directory, then rename.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "dptrain/data/atomic_file.h"
#include "dptrain/data/hdf5_dataset.h"
#include "hdf5_handle.h"

namespace dptrain {
namespace {

void write_string_attribute(hid_t object, const char* name, const std::string& value,
                            const std::string& path) {
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.size() + 1);
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Handle attr(h5_check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         path, std::string("cannot create attribute ") + name),
                H5Aclose);
  h5_check(H5Awrite(attr.get(), type.get(), value.c_str()), path, "cannot write attribute");
}

void write_root_attributes(hid_t file, const std::string& path) {
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Handle version(h5_check(H5Acreate2(file, "format_version", H5T_STD_I32LE, space.get(),
                                       H5P_DEFAULT, H5P_DEFAULT),
                            path, "cannot create attribute format_version"),
                   H5Aclose);
  const int format = kFormatVersion;
  h5_check(H5Awrite(version.get(), H5T_NATIVE_INT, &format), path, "cannot write format_version");

  // class_names: one variable-length string per label, so h5py and h5dump show it directly.
  std::vector<const char*> names;
  for (const std::string& name : fashion_mnist_classes()) names.push_back(name.c_str());
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  const hsize_t count = names.size();
  H5Handle list_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  H5Handle attr(h5_check(H5Acreate2(file, "class_names", type.get(), list_space.get(), H5P_DEFAULT,
                                    H5P_DEFAULT),
                         path, "cannot create attribute class_names"),
                H5Aclose);
  h5_check(H5Awrite(attr.get(), type.get(), names.data()), path, "cannot write class_names");
}

void write_uint8_dataset(hid_t group, const char* name, const std::vector<hsize_t>& dims,
                         const std::vector<std::uint8_t>& values, const std::string& source,
                         const std::string& sha256, const std::string& path) {
  H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  H5Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  std::vector<hsize_t> chunk = dims;
  chunk[0] = std::min<hsize_t>(dims[0], dims.size() == 1 ? 65536 : kImagesPerChunk);
  h5_check(H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()), path,
           "cannot set chunking");
  H5Handle dataset(h5_check(H5Dcreate2(group, name, H5T_STD_U8LE, space.get(), H5P_DEFAULT,
                                       properties.get(), H5P_DEFAULT),
                            path, std::string("cannot create dataset ") + name),
                   H5Dclose);
  h5_check(H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
           path, std::string("cannot write dataset ") + name);
  write_string_attribute(dataset.get(), "source_file", source, path);
  write_string_attribute(dataset.get(), "source_sha256", sha256, path);
}

void write_split(hid_t file, const Split& split, const std::string& path) {
  H5Handle group(h5_check(H5Gcreate2(file, split.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          path, "cannot create group /" + split.name),
                 H5Gclose);
  const hsize_t n = static_cast<hsize_t>(split.count);
  write_uint8_dataset(group.get(), "images", {n, kImageSide, kImageSide}, split.images,
                      split.images_source, split.images_sha256, path);
  write_uint8_dataset(group.get(), "labels", {n}, split.labels, split.labels_source,
                      split.labels_sha256, path);
}

// The whole file, built in memory by HDF5's core driver: the disk is written by
// write_file_atomically alone, where a full disk is an ordinary error. (HDF5 1.10, left with a
// file it failed to write and close, crashes when the program exits.)
std::vector<std::uint8_t> file_image(const FashionMnist& data, const std::string& path) {
  H5Handle in_memory(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  h5_check(H5Pset_fapl_core(in_memory.get(), 16 << 20, false), path, "cannot build file in memory");
  H5Handle file(h5_check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, in_memory.get()), path,
                         "cannot create file"),
                H5Fclose);
  write_root_attributes(file.get(), path);
  write_split(file.get(), data.train, path);
  write_split(file.get(), data.test, path);
  h5_check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), path, "cannot flush file");
  const ssize_t size = h5_check(H5Fget_file_image(file.get(), nullptr, 0), path, "cannot size file image");
  std::vector<std::uint8_t> image(static_cast<std::size_t>(size));
  h5_check(H5Fget_file_image(file.get(), image.data(), image.size()), path, "cannot copy file image");
  return image;
}

}  // namespace

void write_dataset(const FashionMnist& data, const std::string& path, bool force) {
  silence_hdf5_diagnostics();
  // (Something other than a file, a directory say, is refused by write_file_atomically, with
  // or without --force: suggesting --force would not help.)
  if (std::filesystem::is_regular_file(path) && !force) {
    throw Error(path + ": already exists (use --force to replace it)");
  }
  // Also refused when a second `convert` to the same name finishes first.
  write_file_atomically(path, file_image(data, path), force ? IfExists::replace : IfExists::refuse);
}

}  // namespace dptrain
