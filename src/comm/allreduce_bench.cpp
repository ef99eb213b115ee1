#include "dptrain/comm/allreduce_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace dptrain {
namespace {

// Small integers, so that the exact sum is known and float addition in any order reproduces it
// (it stays below 2^24 up to ~8000 ranks). `round` shifts the pattern, so that a result left
// over from the previous allreduce never passes for the next one.
float contribution(int rank, std::size_t i, int round) {
  return static_cast<float>((rank % 7 + 1) * ((i + static_cast<std::size_t>(round)) % 61));
}

float rank_factor(int ranks) {  // the sum over ranks of (rank % 7 + 1)
  float factor = 0.0f;
  for (int r = 0; r < ranks; ++r) factor += static_cast<float>(r % 7 + 1);
  return factor;
}

void fill(float* values, std::size_t count, int rank, int round) {
  for (std::size_t i = 0; i < count; ++i) values[i] = contribution(rank, i, round);
}

std::size_t count_wrong(const float* values, std::size_t count, int ranks, int round) {
  const float factor = rank_factor(ranks);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    wrong += values[i] != factor * static_cast<float>((i + static_cast<std::size_t>(round)) % 61);
  }
  return wrong;
}

// Allreduces of freshly written known values, each result checked; only the allreduces are
// timed. Ranks start each one together: filling and checking take each rank a slightly
// different time, which an allreduce would otherwise be timed waiting for (2.7 MB on 2 ranks
// here: 290-930 us without the barrier, 144-177 us with it). Returns the mean time of one
// allreduce on the slowest rank; adds the wrong elements seen on this rank to `wrong`.
double time_checked_allreduces(Communicator& comm, float* values, std::size_t count, int iterations,
                               std::size_t& wrong) {
  double mine = 0.0;
  for (int round = 0; round < iterations; ++round) {
    fill(values, count, comm.rank(), round);
    comm.barrier();
    const auto start = std::chrono::steady_clock::now();
    comm.allreduce_sum(values, count);
    mine += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    wrong += count_wrong(values, count, comm.size(), round);
  }
  return comm.allreduce_max(mine) / iterations;
}

// Every rank must run the same number of iterations: the slowest rank's estimate decides.
int choose_iterations(Communicator& comm, float* values, std::size_t count, double budget,
                      std::size_t& wrong) {
  const double once = time_checked_allreduces(comm, values, count, 1, wrong);
  const int wanted = static_cast<int>(std::clamp(budget / std::max(once, 1e-7), 1.0, 10000.0));
  return comm.allreduce_max(wanted);
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
    if (options.warmup > 0) time_checked_allreduces(comm, buffer, count, options.warmup, wrong_here);
    AllreduceSample s;
    s.bytes = count * sizeof(float);
    s.iterations = choose_iterations(comm, buffer, count, options.seconds_per_size, wrong_here);
    s.seconds = time_checked_allreduces(comm, buffer, count, s.iterations, wrong_here);
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
