// The order in which a rank visits its shard in one epoch.
#pragma once

#include <cstdint>
#include <vector>

namespace dptrain {

// Positions 0..count-1 in file order, or, with `shuffle`, a permutation that depends only on
// (seed, epoch, shard_begin): the same on every machine and every run, so runs reproduce.
std::vector<std::int64_t> epoch_order(std::int64_t count, bool shuffle, std::uint64_t seed,
                                      int epoch, std::int64_t shard_begin);

}  // namespace dptrain
