// Reads a rank's shard from the HDF5 file: hyperslabs of /<split>/images and /<split>/labels.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <system_error>
#include <string>
#include <vector>

#include "dptrain/data/hdf5_dataset.h"
#include "hdf5_handle.h"

namespace dptrain {
namespace {

// Whether the file opens once HDF5's file locks are ignored: then a writer holds it.
bool opens_without_locking(const std::string& path) {
#if H5_VERSION_GE(1, 10, 7)
  H5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (access.get() < 0 || H5Pset_file_locking(access.get(), false, true) < 0) return false;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get());
  if (file < 0) return false;
  H5Fclose(file);
  return true;
#else
  (void)path;
  return false;
#endif
}

// The format_version attribute, where there is one, must be the one this dptrain writes; a
// file made by other means (h5py) may leave it out.
void check_format_version(hid_t file, const std::string& path) {
  if (H5Aexists(file, "format_version") <= 0) return;
  H5Handle attribute(H5Aopen(file, "format_version", H5P_DEFAULT), H5Aclose);
  H5Handle type(H5Aget_type(attribute.get()), H5Tclose);
  H5Handle space(H5Aget_space(attribute.get()), H5Sclose);
  // One integer: HDF5 would convert a float (1.5 to 1) or read the first of an array.
  if (attribute.get() < 0 || H5Tget_class(type.get()) != H5T_INTEGER ||
      H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw Error(path + ": format_version is not one integer (not a file written by `dptrain convert`?)");
  }
  long long version = -1;
  if (H5Aread(attribute.get(), H5T_NATIVE_LLONG, &version) < 0 || version != kFormatVersion) {
    throw Error(path + ": format_version " + std::to_string(version) + ", but this dptrain reads " +
                std::to_string(kFormatVersion) + " (convert the data again with this dptrain)");
  }
}

H5Handle open_file(const std::string& path) {
  silence_hdf5_diagnostics();
  // Before HDF5 opens it: opening a named pipe waits for a writer, for ever.
  std::error_code ignored;
  const std::filesystem::file_status status = std::filesystem::status(path, ignored);
  if (std::filesystem::is_directory(status)) throw Error(path + ": is a directory, not an HDF5 file");
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    throw Error(path + ": not a regular file (a pipe or a device), not an HDF5 file");
  }
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file >= 0) {
    H5Handle handle(file, H5Fclose);
    check_format_version(file, path);
    return handle;
  }
  // Why not, for the error line. Only here: each of these checks opens the file once more.
  FILE* probe = std::fopen(path.c_str(), "rb");
  if (!probe && errno != ENOENT) throw Error(path + ": cannot read it (" + std::strerror(errno) + ")");
  if (!probe) throw Error(path + ": no such file (convert the data first with `dptrain convert`)");
  std::fclose(probe);
  if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path + ": not an HDF5 file");
  if (opens_without_locking(path)) {
    throw Error(path + ": locked by a process writing it (a `dptrain convert` still running?); "
                "HDF5_USE_FILE_LOCKING=FALSE reads it anyway");
  }
  throw Error(path + ": cannot open HDF5 file (truncated or corrupt?)");
}

H5Handle open_dataset(hid_t file, const std::string& path, const std::string& name) {
  if (H5Lexists(file, name.substr(0, name.rfind('/')).c_str(), H5P_DEFAULT) <= 0 ||
      H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) {
    throw Error(path + ": missing dataset " + name + " (not a file written by `dptrain convert`?)");
  }
  return H5Handle(h5_check(H5Dopen2(file, name.c_str(), H5P_DEFAULT), path, "cannot open " + name),
                  H5Dclose);
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? "," : "") + std::to_string(dims[i]);
  return text + "]";
}

// A shape is only a promise: a corrupt or hand-made file can claim billions of samples with
// no data behind them (HDF5 reads unwritten storage as zeros), and every rank would allocate
// memory for its share before reading a byte. Files from `dptrain convert` are uncompressed
// and fully written, so their stored bytes cover the shape; compressed copies (h5repack) are
// taken at their word, as their size is known only once decompressed.
void check_stored_bytes(hid_t dataset, const std::string& path, const std::string& name,
                        const std::vector<hsize_t>& dims) {
  hsize_t needed = 1;
  for (hsize_t d : dims) {
    if (d != 0 && needed > static_cast<hsize_t>(INT64_MAX) / d) {
      throw Error(path + ": dataset " + name + " has an implausibly large shape " +
                  shape_text(dims));
    }
    needed *= d;
  }
  H5Handle properties(H5Dget_create_plist(dataset), H5Pclose);
  if (properties.get() < 0 || H5Pget_nfilters(properties.get()) != 0) return;
  const hsize_t stored = H5Dget_storage_size(dataset);
  if (stored < needed) {
    throw Error(path + ": dataset " + name + " has shape " + shape_text(dims) + " (" +
                std::to_string(needed) + " bytes) but stores only " + std::to_string(stored) +
                " bytes (truncated or corrupt file?)");
  }
}

// Checks that `dataset` holds unsigned bytes shaped [N, trailing...] and returns N.
std::int64_t checked_length(hid_t dataset, const std::string& path, const std::string& name,
                            const std::vector<hsize_t>& trailing) {
  H5Handle type(H5Dget_type(dataset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 1 ||
      H5Tget_sign(type.get()) != H5T_SGN_NONE) {
    throw Error(path + ": dataset " + name + " is not of type uint8");
  }
  H5Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::vector<hsize_t> expected_tail(dims.begin() + (rank > 0 ? 1 : 0), dims.end());
  if (rank != static_cast<int>(trailing.size()) + 1 || expected_tail != trailing) {
    std::vector<hsize_t> want{0};
    want.insert(want.end(), trailing.begin(), trailing.end());
    std::string wanted = shape_text(want);
    wanted.replace(1, 1, "N");
    throw Error(path + ": dataset " + name + " has shape " + shape_text(dims) + ", expected " +
                wanted);
  }
  check_stored_bytes(dataset, path, name, dims);
  return static_cast<std::int64_t>(dims[0]);
}

void read_rows(hid_t dataset, std::int64_t begin, std::int64_t count, std::uint8_t* out,
               const std::string& path, const std::string& name) {
  H5Handle file_space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  std::vector<hsize_t> start(rank, 0), extent(rank);
  H5Sget_simple_extent_dims(file_space.get(), extent.data(), nullptr);
  start[0] = static_cast<hsize_t>(begin);
  extent[0] = static_cast<hsize_t>(count);
  h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                               extent.data(), nullptr),
           path, "cannot select rows of " + name);
  // The memory space has the selection's own shape: with a flat one, HDF5 maps every element
  // between the two shapes one by one, which made reading a shard take seconds.
  H5Handle memory_space(H5Screate_simple(rank, extent.data(), nullptr), H5Sclose);
  h5_check(H5Dread(dataset, H5T_NATIVE_UINT8, memory_space.get(), file_space.get(), H5P_DEFAULT, out),
           path, "cannot read " + name + " (truncated or corrupt file?)");
}

// A split's two datasets, opened once, and its checked number of samples.
struct SplitDatasets {
  H5Handle images;
  H5Handle labels;
  std::int64_t samples = 0;
};

SplitDatasets open_split(hid_t file, const std::string& path, const std::string& split) {
  SplitDatasets d{open_dataset(file, path, "/" + split + "/images"),
                  open_dataset(file, path, "/" + split + "/labels")};
  d.samples =
      checked_length(d.images.get(), path, "/" + split + "/images", {kImageSide, kImageSide});
  const std::int64_t labels = checked_length(d.labels.get(), path, "/" + split + "/labels", {});
  if (d.samples != labels) {
    throw Error(path + ": /" + split + " has " + std::to_string(d.samples) + " images but " +
                std::to_string(labels) + " labels");
  }
  if (d.samples == 0) throw Error(path + ": /" + split + " holds no samples");
  return d;
}

// `range` of an open split.
Shard read_range(const SplitDatasets& d, const std::string& path, const std::string& split,
                 ShardRange range) {
  if (range.begin < 0 || range.count < 0 || range.begin + range.count > d.samples) {
    throw Error(path + ": shard [" + std::to_string(range.begin) + ", " +
                std::to_string(range.begin + range.count) + ") is outside /" + split +
                " with " + std::to_string(d.samples) + " samples");
  }
  Shard shard;
  shard.begin = range.begin;
  shard.count = range.count;
  const std::size_t bytes = static_cast<std::size_t>(range.count) * (kImagePixels + 1);
  try {
    shard.images.resize(static_cast<std::size_t>(range.count) * kImagePixels);
    shard.labels.resize(static_cast<std::size_t>(range.count));
  } catch (const std::bad_alloc&) {
    // A compressed file's shape is taken at its word (check_stored_bytes): it may claim more
    // samples than memory holds.
    throw Error(path + ": cannot allocate " + std::to_string(bytes) + " bytes for " +
                std::to_string(range.count) + " samples of /" + split + " (its shape " +
                "claims " + std::to_string(d.samples) + "; a corrupt file, or too little memory)");
  }
  if (range.count == 0) return shard;
  read_rows(d.images.get(), range.begin, range.count, shard.images.data(), path,
            "/" + split + "/images");
  read_rows(d.labels.get(), range.begin, range.count, shard.labels.data(), path,
            "/" + split + "/labels");
  for (std::size_t i = 0; i < shard.labels.size(); ++i) {
    if (shard.labels[i] >= kNumClasses) {
      throw Error(path + ": /" + split + "/labels has label " + std::to_string(shard.labels[i]) +
                  " at sample " + std::to_string(range.begin + static_cast<std::int64_t>(i)) +
                  ", outside 0-9");
    }
  }
  return shard;
}

}  // namespace

std::int64_t split_length(const std::string& path, const std::string& split) {
  H5Handle file = open_file(path);
  return open_split(file.get(), path, split).samples;
}

Shard read_shard(const std::string& path, const std::string& split, ShardRange range) {
  H5Handle file = open_file(path);
  return read_range(open_split(file.get(), path, split), path, split, range);
}

RankShards read_rank_shards(const std::string& path, int rank, int ranks) {
  H5Handle file = open_file(path);
  const SplitDatasets train = open_split(file.get(), path, "train");
  if (train.samples < ranks) {
    throw Error(path + ": " + std::to_string(train.samples) + " training samples for " +
                std::to_string(ranks) + " ranks; every rank needs at least one sample");
  }
  const SplitDatasets test = open_split(file.get(), path, "test");
  RankShards shards;
  shards.train_samples = train.samples;
  shards.train = read_range(train, path, "train", shard_range(train.samples, rank, ranks));
  shards.test = read_range(test, path, "test", shard_range(test.samples, rank, ranks));
  return shards;
}

}  // namespace dptrain
