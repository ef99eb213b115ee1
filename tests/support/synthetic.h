// Synthetic shards for training tests: deterministic images and labels in memory, so tests of
// the training math need no files and every rank can rebuild any other rank's data.
#pragma once

#include <cstdint>

#include "dptrain/data/hdf5_dataset.h"
#include "dptrain/data/shard.h"

namespace dptrain::testing {

inline std::uint8_t synthetic_pixel(std::int64_t sample, int pixel) {
  return static_cast<std::uint8_t>((sample * 131 + pixel * 17 + (sample * pixel) % 7) % 256);
}

inline std::uint8_t synthetic_label(std::int64_t sample) {
  return static_cast<std::uint8_t>((sample * 3 + sample / 5) % 10);
}

inline Shard synthetic_shard(ShardRange range) {
  Shard shard;
  shard.begin = range.begin;
  shard.count = range.count;
  for (std::int64_t i = range.begin; i < range.begin + range.count; ++i) {
    for (int p = 0; p < 28 * 28; ++p) shard.images.push_back(synthetic_pixel(i, p));
    shard.labels.push_back(synthetic_label(i));
  }
  return shard;
}

}  // namespace dptrain::testing
