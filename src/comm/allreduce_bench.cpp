#include "dptrain/comm/allreduce_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace dptrain {
namespace {

// The values each rank contributes, whose exact sum is known whatever order the additions
// take. `round` shifts them, so that a result left over from the previous allreduce never
// passes for the next one.
class KnownValues {
 public:
  KnownValues(int ranks, TransportPrecision precision)
      : ranks_(ranks), precision_(precision), fp32_factor_(fp32_factor(ranks)) {}

  float of(int rank, std::size_t i, int round) const {
    const std::size_t k = i + static_cast<std::size_t>(round);
    if (precision_ != TransportPrecision::fp32) return rank < kSixteenBitRanks ? power_of_two(k) : 0.0f;
    return static_cast<float>((rank % 7 + 1) * (k % 61));
  }

  float sum(std::size_t i, int round) const {
    const std::size_t k = i + static_cast<std::size_t>(round);
    if (precision_ != TransportPrecision::fp32) {
      return static_cast<float>(std::min(ranks_, kSixteenBitRanks)) * power_of_two(k);
    }
    return fp32_factor_ * static_cast<float>(k % 61);
  }

 private:
  // fp32: small integers; the sums stay below 2^24, exact, up to ~8000 ranks. 16-bit: powers
  // of two from at most 256 ranks, so that every partial sum (rounded to 16 bits between
  // nodes) is an integer below 2^8 times a power of two, which bf16 and fp16 hold exactly.
  static constexpr int kSixteenBitRanks = 256;
  static float power_of_two(std::size_t k) { return static_cast<float>(1u << (k % 4)); }
  static float fp32_factor(int ranks) {  // the sum over ranks of (rank % 7 + 1)
    float factor = 0.0f;
    for (int r = 0; r < ranks; ++r) factor += static_cast<float>(r % 7 + 1);
    return factor;
  }

  int ranks_;
  TransportPrecision precision_;
  float fp32_factor_;
};

void fill(const KnownValues& known, float* values, std::size_t count, int rank, int round) {
  for (std::size_t i = 0; i < count; ++i) values[i] = known.of(rank, i, round);
}

std::size_t count_wrong(const KnownValues& known, const float* values, std::size_t count, int round) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) wrong += values[i] != known.sum(i, round);
  return wrong;
}

// Allreduces of freshly written known values, each result checked; only the allreduces are
// timed. Ranks start each one together: filling and checking take each rank a slightly
// different time, which an allreduce would otherwise be timed waiting for (2.7 MB on 2 ranks
// here: 290-930 us without the barrier, 144-177 us with it). Returns the mean time of one
// allreduce on the slowest rank; adds the wrong elements seen on this rank to `wrong`.
double time_checked_allreduces(Communicator& comm, TransportPrecision precision, float* values,
                               std::size_t count, int iterations, std::size_t& wrong) {
  const KnownValues known(comm.size(), precision);
  double mine = 0.0;
  for (int round = 0; round < iterations; ++round) {
    fill(known, values, count, comm.rank(), round);
    comm.barrier();
    const auto start = std::chrono::steady_clock::now();
    comm.allreduce_sum(values, count, precision);
    mine += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    wrong += count_wrong(known, values, count, round);
  }
  return comm.allreduce_max(mine) / iterations;
}

// Every rank must run the same number of iterations: the slowest rank's estimate decides.
// The budget covers a whole round, filling and checking included: alone, an allreduce takes
// no time, and a budget of allreduce time alone would fill 64 MB 10000 times.
int choose_iterations(Communicator& comm, TransportPrecision precision, float* values,
                      std::size_t count, double budget, std::size_t& wrong) {
  const auto start = std::chrono::steady_clock::now();
  time_checked_allreduces(comm, precision, values, count, 1, wrong);
  const double round = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int wanted = static_cast<int>(std::clamp(budget / std::max(round, 1e-7), 1.0, 10000.0));
  return comm.allreduce_min(wanted);
}

}  // namespace

double bus_bandwidth(double algbw, int ranks) {
  return ranks > 1 ? algbw * 2.0 * (ranks - 1) / ranks : algbw;
}

std::vector<AllreduceSample> bench_allreduce(Communicator& comm,
                                             const AllreduceBenchOptions& options) {
  const std::size_t capacity = std::max<std::size_t>(options.max_bytes / sizeof(float), 1);
  std::vector<float> ordinary;
  float* buffer = nullptr;
  if (options.shared_buffer) {
    buffer = comm.reduction_buffer(capacity);
  } else {
    ordinary.resize(capacity);
    buffer = ordinary.data();
  }
  std::vector<AllreduceSample> samples;
  for (std::size_t bytes = std::max<std::size_t>(options.min_bytes, 4); bytes <= options.max_bytes;
       bytes *= 2) {
    const std::size_t count = bytes / sizeof(float);
    std::size_t wrong_here = 0;
    if (options.warmup > 0) {
      time_checked_allreduces(comm, options.precision, buffer, count, options.warmup, wrong_here);
    }
    AllreduceSample s;
    s.bytes = count * sizeof(float);
    s.iterations =
        choose_iterations(comm, options.precision, buffer, count, options.seconds_per_size, wrong_here);
    s.seconds = time_checked_allreduces(comm, options.precision, buffer, count, s.iterations, wrong_here);
    double wrong = static_cast<double>(wrong_here);
    comm.allreduce_sum(&wrong, 1);
    s.wrong = static_cast<std::size_t>(wrong);
    s.algbw_gbs = static_cast<double>(s.bytes) / s.seconds / 1e9;
    s.busbw_gbs = bus_bandwidth(s.algbw_gbs, comm.size());
    samples.push_back(s);
  }
  return samples;
}

}  // namespace dptrain
