#include "dptrain/comm/allreduce_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace dptrain {
namespace {

// Small integers, so the exact sum is known and float addition in any order reproduces it.
float contribution(int rank, std::size_t i) { return static_cast<float>((rank + 1) * (i % 61)); }

void fill(float* values, std::size_t count, int rank) {
  for (std::size_t i = 0; i < count; ++i) values[i] = contribution(rank, i);
}

std::size_t count_wrong(const float* values, std::size_t count, int ranks) {
  const float factor = static_cast<float>(ranks * (ranks + 1) / 2);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) wrong += values[i] != factor * static_cast<float>(i % 61);
  return wrong;
}

double time_allreduce(Communicator& comm, float* values, std::size_t count, int iterations) {
  comm.barrier();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) comm.allreduce_sum(values, count);
  const double mine = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return comm.allreduce_max(mine) / iterations;
}

// Every rank must run the same number of iterations: rank 0's estimate decides.
int choose_iterations(Communicator& comm, float* values, std::size_t count, double budget) {
  const double once = time_allreduce(comm, values, count, 1);
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
    for (int i = 0; i < options.warmup; ++i) comm.allreduce_sum(buffer, count);
    AllreduceSample s;
    s.bytes = count * sizeof(float);
    s.iterations = choose_iterations(comm, buffer, count, options.seconds_per_size);
    s.seconds = time_allreduce(comm, buffer, count, s.iterations);
    // Timed runs sum sums; check one fresh allreduce of known values.
    fill(buffer, count, comm.rank());
    comm.allreduce_sum(buffer, count);
    double wrong = static_cast<double>(count_wrong(buffer, count, comm.size()));
    comm.allreduce_sum(&wrong, 1);
    s.wrong = static_cast<std::size_t>(wrong);
    s.algbw_gbs = static_cast<double>(s.bytes) / s.seconds / 1e9;
    s.busbw_gbs = bus_bandwidth(s.algbw_gbs, comm.size());
    samples.push_back(s);
  }
  return samples;
}

}  // namespace dptrain
