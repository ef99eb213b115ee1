// Reads a split of an HDF5 dataset file the way ranks do and checks what they would get.
// Shared by the fuzz targets that feed the reader raw files and generated layouts.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/data/shard.h"
#include "dptrain/error.h"

namespace dptrain::fuzzing {

// What every shard handed to the trainer must satisfy.
inline void check_shard(const Shard& shard, ShardRange range) {
  if (shard.begin != range.begin || shard.count != range.count ||
      shard.images.size() != static_cast<std::size_t>(range.count) * kImagePixels ||
      shard.labels.size() != static_cast<std::size_t>(range.count)) {
    std::abort();
  }
  for (std::uint8_t label : shard.labels) {
    if (label >= kNumClasses) std::abort();
  }
}

// Reads the split as the only rank and as the second of two ranks (a shard that does not
// start at sample 0). A dptrain::Error is the expected answer to a bad file.
inline void read_split(const std::string& path, const std::string& split) {
  try {
    const std::int64_t samples = split_length(path, split);
    if (samples < 0) std::abort();
    for (int ranks : {1, 2}) {
      const ShardRange range = shard_range(samples, ranks - 1, ranks);
      check_shard(read_shard(path, split, range), range);
    }
  } catch (const Error&) {
  }
}

}  // namespace dptrain::fuzzing
