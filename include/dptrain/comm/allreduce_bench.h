// `dptrain bench allreduce`: how fast the gradient allreduce is, size by size, in the terms
// nccl-tests uses, with every result checked.
#pragma once

#include <cstddef>
#include <vector>

#include "dptrain/comm/communicator.h"
#include "dptrain/comm/transport_precision.h"

namespace dptrain {

struct AllreduceBenchOptions {
  std::size_t min_bytes = 4;
  std::size_t max_bytes = 64u << 20;
  int warmup = 5;
  double seconds_per_size = 0.2;  // iterations are chosen to take about this long
  bool shared_buffer = true;      // reduce in the communicator's reduction buffer (as training does)
  TransportPrecision precision = TransportPrecision::fp32;  // as --grad-dtype in training
};

struct AllreduceSample {
  std::size_t bytes = 0;
  int iterations = 0;
  double seconds = 0.0;        // mean time of one allreduce (slowest rank)
  double algbw_gbs = 0.0;      // bytes / time
  double busbw_gbs = 0.0;      // algbw * 2(n-1)/n: what each link carries in a ring
  std::size_t wrong = 0;       // elements that differed from the exact sum, over every
                               // allreduce of this size (warm-up, timed) and every rank
};

// Bus bandwidth as nccl-tests define it for allreduce.
double bus_bandwidth(double algbw, int ranks);

std::vector<AllreduceSample> bench_allreduce(Communicator& comm, const AllreduceBenchOptions& options);

}  // namespace dptrain
