#include "dptrain/data/epoch_order.h"

#include <numeric>

namespace dptrain {
namespace {

// splitmix64: a tiny generator with a fixed definition, unlike std::shuffle's distributions,
// whose results differ between standard libraries.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<std::int64_t> epoch_order(std::int64_t count, bool shuffle, std::uint64_t seed,
                                      int epoch, std::int64_t shard_begin) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  if (!shuffle) return order;
  std::uint64_t state = seed * 0x100000001b3ULL ^ (static_cast<std::uint64_t>(epoch) << 32) ^
                        static_cast<std::uint64_t>(shard_begin);
  for (std::int64_t i = count - 1; i > 0; --i) {
    // Fisher-Yates; the modulo bias is below 2^-40 for any shard that fits in memory.
    const auto j = static_cast<std::int64_t>(splitmix64(state) % static_cast<std::uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

}  // namespace dptrain
