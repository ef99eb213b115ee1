// Fuzz target: the HDF5 dataset reader (split_length, read_shard) on the input written to a
// file. Seeds are small files from write_dataset, so mutations reach dptrain's own checks of
// types, shapes, counts and labels as well as libhdf5's parsing. A dptrain::Error is the
// expected answer to a bad file; anything else is a bug.
#include <cstdint>
#include <cstdlib>

#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/data/shard.h"
#include "dptrain/error.h"
#include "fuzz_input_file.h"

namespace {

// What every shard handed to the trainer must satisfy.
void check_shard(const dptrain::Shard& shard, dptrain::ShardRange range) {
  if (shard.begin != range.begin || shard.count != range.count ||
      shard.images.size() != static_cast<std::size_t>(range.count) * dptrain::kImagePixels ||
      shard.labels.size() != static_cast<std::size_t>(range.count)) {
    std::abort();
  }
  for (std::uint8_t label : shard.labels) {
    if (label >= dptrain::kNumClasses) std::abort();
  }
}

// Reads the split as one rank would and as the second of two ranks would (a shard that does
// not start at sample 0).
void read_split(const std::string& path, const std::string& split) {
  try {
    const std::int64_t samples = dptrain::split_length(path, split);
    if (samples < 0) std::abort();
    for (int ranks : {1, 2}) {
      const dptrain::ShardRange range = dptrain::shard_range(samples, ranks - 1, ranks);
      check_shard(dptrain::read_shard(path, split, range), range);
    }
  } catch (const dptrain::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dptrain::fuzzing::InputFile file(".h5");
  const std::string& path = file.write(data, size);
  read_split(path, "train");
  read_split(path, "test");
  return 0;
}
