// Fuzz target: the HDF5 dataset reader (split_length, read_shard) on the input written to a
// file. Seeds are small files from write_dataset, so mutations reach libhdf5's parsing of
// superblocks and object headers as well as dptrain's own checks.
//
// libhdf5 1.10 allocates sizes it reads from the file and treats a failed allocation as an
// error; allowing malloc to return null keeps that production behaviour under ASan instead
// of reporting every corrupt size field as a crash. dptrain's own allocations use operator
// new, which ASan still reports when it cannot satisfy them.
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.h"
#include "split_reading.h"

extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dptrain::fuzzing::InputFile file(".h5");
  const std::string& path = file.write(data, size);
  dptrain::fuzzing::read_split(path, "train");
  dptrain::fuzzing::read_split(path, "test");
  return 0;
}
