// Fuzz target: dptrain's checks of a dataset file's layout. The input describes a file —
// which groups and datasets exist, their element types, ranks, dimensions and contents —
// and libhdf5 writes it, so every file is valid HDF5 and every finding is about what dptrain
// does with what it reads: types, shapes, counts, labels, and how much memory a shape makes
// it allocate. (fuzz_hdf5_dataset feeds raw bytes, where libhdf5's own parsing dominates.)
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/hdf5_handle.h"
#include "fuzz_input_file.h"
#include "split_reading.h"

namespace {

using dptrain::H5Handle;

// The first choice of each kind is what `dptrain convert` writes, so an exhausted input (which
// FuzzedDataProvider reads as zeros) describes a valid file.
hid_t element_type(FuzzedDataProvider& in) {
  const hid_t types[] = {H5T_STD_U8LE, H5T_STD_U8BE, H5T_STD_I8LE, H5T_STD_U16LE, H5T_IEEE_F32LE};
  return types[in.ConsumeIntegralInRange<std::size_t>(0, 4)];
}

hsize_t dimension(FuzzedDataProvider& in, hsize_t usual) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return usual;
    case 1: return in.ConsumeIntegralInRange<hsize_t>(0, 64);
    case 2: return in.ConsumeIntegral<std::uint32_t>();
    default: return in.ConsumeIntegral<std::uint64_t>() >> in.ConsumeIntegralInRange<int>(0, 63);
  }
}

H5Handle dataspace(FuzzedDataProvider& in, const std::vector<hsize_t>& usual) {
  const int choice = in.ConsumeIntegralInRange<int>(0, 4);
  const std::size_t rank = choice == 0 ? usual.size() : static_cast<std::size_t>(choice - 1);
  if (rank == 0) return H5Handle(H5Screate(H5S_SCALAR), H5Sclose);
  std::vector<hsize_t> dims(rank);
  for (std::size_t i = 0; i < rank; ++i) dims[i] = dimension(in, i < usual.size() ? usual[i] : 1);
  return H5Handle(H5Screate_simple(static_cast<int>(rank), dims.data(), nullptr), H5Sclose);
}

// Writes the dataset's contents from the input when they are small; otherwise (or when the
// input says so) leaves its storage unallocated, as in a file whose data never arrived.
void write_contents(FuzzedDataProvider& in, hid_t dataset, hid_t type, hid_t space) {
  const hssize_t elements = H5Sget_simple_extent_npoints(space);
  const std::size_t bytes = static_cast<std::size_t>(elements) * H5Tget_size(type);
  if (elements <= 0 || bytes > (std::size_t{1} << 20) || in.ConsumeIntegralInRange<int>(0, 7) == 7) {
    return;
  }
  std::vector<std::uint8_t> values = in.ConsumeBytes<std::uint8_t>(bytes);
  values.resize(bytes);
  H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
}

void add_dataset(FuzzedDataProvider& in, hid_t group, const char* name,
                 const std::vector<hsize_t>& usual) {
  if (in.ConsumeIntegralInRange<int>(0, 15) == 15) return;
  const hid_t type = element_type(in);
  H5Handle space = dataspace(in, usual);
  if (space.get() < 0) return;
  H5Handle dataset(H5Dcreate2(group, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   H5Dclose);
  if (dataset.get() >= 0) write_contents(in, dataset.get(), type, space.get());
}

void add_split(FuzzedDataProvider& in, hid_t file, const char* split) {
  if (in.ConsumeIntegralInRange<int>(0, 15) == 15) return;
  H5Handle group(H5Gcreate2(file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (group.get() < 0) return;
  // One sample count for both datasets, so that a huge count is not always caught by the
  // images and labels disagreeing.
  const hsize_t samples = dimension(in, 5);
  add_dataset(in, group.get(), "images", {samples, dptrain::kImageSide, dptrain::kImageSide});
  add_dataset(in, group.get(), "labels", {samples});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dptrain::fuzzing::InputFile file(".h5");
  dptrain::silence_hdf5_diagnostics();
  FuzzedDataProvider in(data, size);
  {
    H5Handle h5(H5Fcreate(file.path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (h5.get() < 0) return 0;
    add_split(in, h5.get(), "train");
    add_split(in, h5.get(), "test");
  }
  dptrain::fuzzing::read_split(file.path(), "train");
  dptrain::fuzzing::read_split(file.path(), "test");
  return 0;
}
