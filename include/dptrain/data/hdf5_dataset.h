// The HDF5 file that `dptrain convert` writes and every rank reads its shard from.
//
// Layout: /train/images uint8 [N,28,28] (chunked), /train/labels uint8 [N], the same under
// /test; attributes: format_version, class_names, and per dataset its source file and SHA-256.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dptrain/data/fashion_mnist.h"
#include "dptrain/data/shard.h"

namespace dptrain {

constexpr int kFormatVersion = 1;

// Images per HDF5 chunk: 250 divides 60000 and 10000, so shards of any rank count that divides
// 240 start and end on chunk boundaries and read whole chunks only.
constexpr std::int64_t kImagesPerChunk = 250;

// Writes `data` to `path` through a temporary file in the same directory that is renamed into
// place only when complete. Refuses to replace an existing file unless `force`.
void write_dataset(const FashionMnist& data, const std::string& path, bool force);

// Number of samples in `split` ("train" or "test"), after checking the datasets' shapes.
std::int64_t split_length(const std::string& path, const std::string& split);

// A rank's contiguous slice of one split, held in memory as the file stores it.
struct Shard {
  std::int64_t begin = 0;            // index of the first sample in the split
  std::int64_t count = 0;
  std::vector<std::uint8_t> images;  // count * 28 * 28
  std::vector<std::uint8_t> labels;  // count
};

// Reads only `range` of `split` (an HDF5 hyperslab), never the whole dataset.
Shard read_shard(const std::string& path, const std::string& split, ShardRange range);

// What rank `rank` of `ranks` trains and is tested on: its shards of /train and /test, read
// with the file opened once (on a parallel file system every open is a request to the
// metadata server, and all ranks of a job open the file at the same moment). Throws when
// /train has fewer samples than ranks.
struct RankShards {
  std::int64_t train_samples = 0;  // in the whole /train split
  Shard train;
  Shard test;
};
RankShards read_rank_shards(const std::string& path, int rank, int ranks);

}  // namespace dptrain
