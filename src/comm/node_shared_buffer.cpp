#include "dptrain/comm/node_shared_buffer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include "dptrain/comm/mpi_allreduce.h"
#include "dptrain/comm/mpi_check.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {


// Tells the core that this is a spin-wait loop (saves power, frees the sibling hyperthread).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

using Segment = NodeSharedBuffer::Segment;

// Local rank l reduces segment l; segments are 16-float aligned so vector loops stay aligned.
Segment segment_of(int local_rank, int local_size, std::size_t count) {
  const std::size_t blocks = (count + 15) / 16;
  const std::size_t first = blocks * local_rank / local_size;
  const std::size_t last = blocks * (local_rank + 1) / local_size;
  const std::size_t begin = std::min(first * 16, count);
  return {begin, std::min(last * 16, count) - begin};
}

// The sum over slots of slot[i], formed in slot order on every rank so that results are
// bit-identical wherever they are computed, block by block: each finished block goes to
// `sink`. Built for AVX-512, AVX2 and plain x86-64, chosen when the program starts: a portable
// build would otherwise add 4 floats at a time on CPUs that add 16.
struct BlockSink {
  // out[i] = sum[i] when `parameters` is null (`out` may be one of the slots: each block is read
  // completely before it is written); else parameters[i] += scale * sum[i], an SGD step taken
  // while the block is still in the core's cache, and `out` is left alone.
  float* out;
  float* parameters;
  float scale;
};

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void sum_slots(const std::vector<const float*>& slots, BlockSink sink, std::size_t count) {
  constexpr std::size_t kBlock = 1024;
  alignas(64) float sum[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    const float* first = slots[0] + start;
    for (std::size_t i = 0; i < n; ++i) sum[i] = first[i];
    for (std::size_t s = 1; s < slots.size(); ++s) {
      const float* __restrict__ next = slots[s] + start;
      for (std::size_t i = 0; i < n; ++i) sum[i] += next[i];
    }
    if (sink.parameters) {
      float* __restrict__ parameters = sink.parameters + start;
      for (std::size_t i = 0; i < n; ++i) parameters[i] += sink.scale * sum[i];
    } else {
      std::memcpy(sink.out + start, sum, n * sizeof(float));
    }
  }
}

// The same over 16-bit twins: decoded block by block and summed in fp32, in slot order.
void sum_wires(const std::vector<const std::uint16_t*>& wires, TransportPrecision precision,
               float* out, std::size_t count) {
  constexpr std::size_t kBlock = 1024;
  alignas(64) float sum[kBlock];
  alignas(64) float next[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    decode(wires[0] + start, n, precision, sum);
    for (std::size_t w = 1; w < wires.size(); ++w) {
      decode(wires[w] + start, n, precision, next);
      for (std::size_t i = 0; i < n; ++i) sum[i] += next[i];
    }
    std::memcpy(out + start, sum, n * sizeof(float));
  }
}

// parameters[i] += scale * sum[i]: plain SGD, for the segment of the parameters a rank updates.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void add_scaled(const float* __restrict__ sum, std::size_t count, float scale,
                float* __restrict__ parameters) {
  for (std::size_t i = 0; i < count; ++i) parameters[i] += scale * sum[i];
}

// Shared memory for `bytes` per local rank (padded to whole pages, so that the slots of
// different ranks never share a cache line); returns every local rank's part.
template <class T>
std::vector<T*> allocate_slots(MPI_Comm node, std::size_t bytes, MPI_Win* window) {
  const auto padded = static_cast<MPI_Aint>((bytes + 4095) / 4096 * 4096);
  void* mine = nullptr;
  char mib[32];
  std::snprintf(mib, sizeof mib, "%.1f MiB", static_cast<double>(padded) / (1 << 20));
  check_node_memory(MPI_Win_allocate_shared(padded, sizeof(T), MPI_INFO_NULL, node, &mine, window),
                    std::string(mib) + " per rank of node-shared memory for gradient averaging");
  std::memset(mine, 0, static_cast<std::size_t>(padded));
  int size = 0;
  DPTRAIN_MPI_CHECK(MPI_Comm_size(node, &size));
  std::vector<T*> slots;
  for (int r = 0; r < size; ++r) {
    MPI_Aint slot_bytes = 0;
    int unit = 0;
    void* base = nullptr;
    DPTRAIN_MPI_CHECK(MPI_Win_shared_query(*window, r, &slot_bytes, &unit, &base));
    slots.push_back(static_cast<T*>(base));
  }
  return slots;
}

}  // namespace

void check_node_memory(int code, const std::string& what) {
  if (code == MPI_SUCCESS) return;
  throw Error("cannot allocate " + what + " (" + mpi_error_text(code) + "): is /dev/shm " +
              "too small or full (df -h /dev/shm)? DPTRAIN_SHARED_MEMORY=0 averages through " +
              "plain MPI instead");
}

NodeSharedBuffer::NodeSharedBuffer(MPI_Comm node, MPI_Comm across_nodes, std::size_t count)
    : node_(node), across_nodes_(across_nodes), count_(count) {
  DPTRAIN_MPI_CHECK(MPI_Comm_rank(node_, &local_rank_));
  DPTRAIN_MPI_CHECK(MPI_Comm_size(node_, &local_size_));
  slots_ = allocate_slots<float>(node_, count * sizeof(float), &window_);

  void* state = nullptr;
  const MPI_Aint state_bytes = local_rank_ == 0 ? sizeof(BarrierState) : 0;
  DPTRAIN_MPI_CHECK(MPI_Win_allocate_shared(state_bytes, 1, MPI_INFO_NULL, node_, &state, &barrier_window_));
  MPI_Aint size = 0;
  int unit = 0;
  DPTRAIN_MPI_CHECK(MPI_Win_shared_query(barrier_window_, 0, &size, &unit, &state));
  barrier_ = static_cast<BarrierState*>(state);
  if (local_rank_ == 0) new (barrier_) BarrierState{{0}, {0}};
  DPTRAIN_MPI_CHECK(MPI_Barrier(node_));
}

NodeSharedBuffer::~NodeSharedBuffer() {
  if (parameter_window_ != MPI_WIN_NULL) MPI_Win_free(&parameter_window_);
  if (wire_window_ != MPI_WIN_NULL) MPI_Win_free(&wire_window_);
  if (barrier_window_ != MPI_WIN_NULL) MPI_Win_free(&barrier_window_);
  if (window_ != MPI_WIN_NULL) MPI_Win_free(&window_);
}

void NodeSharedBuffer::node_barrier() {
  // A barrier of our own rather than MPI_Barrier: MPI spins on the core, and the core may be
  // shared with this rank's training thread (the communication thread runs here). After a
  // short spin this one yields. The release/acquire pair also orders the slot writes before
  // the barrier against the reads after it.
  const int generation = barrier_->generation.load(std::memory_order_acquire);
  if (barrier_->arrived.fetch_add(1, std::memory_order_acq_rel) == local_size_ - 1) {
    barrier_->arrived.store(0, std::memory_order_relaxed);
    barrier_->generation.fetch_add(1, std::memory_order_release);
    return;
  }
  for (int spins = 0; barrier_->generation.load(std::memory_order_acquire) == generation; ++spins) {
    if (spins < 2000) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void NodeSharedBuffer::allreduce_sum(std::size_t offset, std::size_t count,
                                     TransportPrecision precision) {
  sum_my_segment(offset, count, precision);
  node_barrier();  // every segment is final in its owner's slot (and twin)
  copy_back_other_segments(offset, count, precision);
  node_barrier();  // nobody overwrites a slot (or twin) that another rank is still reading
}

void NodeSharedBuffer::allreduce_sum_into_parameters(std::size_t offset, std::size_t count,
                                                     TransportPrecision precision, float scale) {
  if (!parameters_) throw Error("internal: allreduce_sum_into_parameters before share_parameters");
  const Segment mine = segment_of(local_rank_, local_size_, count);
  float* my_parameters = parameters_ + offset + mine.begin;
  if (precision == TransportPrecision::fp32 && across_nodes_ == MPI_COMM_NULL) {
    // One pass over the segment instead of two: the sum is never stored.
    node_barrier();  // every rank's contribution is in its slot
    sum_slots(segment_in_every_slot(offset, mine), {nullptr, my_parameters, scale}, mine.count);
  } else {
    sum_my_segment(offset, count, precision);
    add_scaled(slots_[local_rank_] + offset + mine.begin, mine.count, scale, my_parameters);
  }
  // Every segment of the parameters is updated before any rank reads them (its next forward),
  // and every rank has read the slots (and twins) before any rank writes its own again (its
  // next backward).
  node_barrier();
}

float* NodeSharedBuffer::share_parameters(const float* initial) {
  if (parameters_) return parameters_;
  // Rank 0's part is the whole of it: the others map that one copy.
  parameters_ = allocate_slots<float>(node_, local_rank_ == 0 ? count_ * sizeof(float) : 0,
                                      &parameter_window_)[0];
  if (local_rank_ == 0) std::memcpy(parameters_, initial, count_ * sizeof(float));
  DPTRAIN_MPI_CHECK(MPI_Barrier(node_));
  return parameters_;
}

NodeSharedBuffer::Segment NodeSharedBuffer::sum_my_segment(std::size_t offset, std::size_t count,
                                                           TransportPrecision precision) {
  const Segment mine = segment_of(local_rank_, local_size_, count);
  float* result = slots_[local_rank_] + offset + mine.begin;
  if (precision == TransportPrecision::fp32) {
    node_barrier();  // every rank's contribution is in its slot
    sum_slots(segment_in_every_slot(offset, mine), {result, nullptr, 0.0f}, mine.count);
  } else {
    sum_my_segment_in_16_bits(offset, count, mine, precision);
  }
  if (across_nodes_ != MPI_COMM_NULL && mine.count > 0) {
    mpi_allreduce_sum(result, mine.count, precision, across_nodes_);
  }
  if (precision != TransportPrecision::fp32) {
    // Published rounded, and kept rounded here too, so that every rank holds the same values.
    // Only this rank reads this part of its twin during the sums.
    std::uint16_t* published = wires_[local_rank_] + offset + mine.begin;
    encode(result, mine.count, precision, published);
    decode(published, mine.count, precision, result);
  }
  return mine;
}

std::vector<const float*> NodeSharedBuffer::segment_in_every_slot(std::size_t offset, Segment mine) const {
  std::vector<const float*> inputs;
  for (float* slot : slots_) inputs.push_back(slot + offset + mine.begin);
  return inputs;
}

void NodeSharedBuffer::sum_my_segment_in_16_bits(std::size_t offset, std::size_t count,
                                                 Segment mine, TransportPrecision precision) {
  map_wires();
  // The whole of this rank's contribution, rounded: the other ranks read their segments of it.
  encode(slots_[local_rank_] + offset, count, precision, wires_[local_rank_] + offset);
  node_barrier();  // every rank's rounded contribution is in its twin
  std::vector<const std::uint16_t*> inputs;
  for (std::uint16_t* wire : wires_) inputs.push_back(wire + offset + mine.begin);
  sum_wires(inputs, precision, slots_[local_rank_] + offset + mine.begin, mine.count);
}

void NodeSharedBuffer::copy_back_other_segments(std::size_t offset, std::size_t count,
                                                TransportPrecision precision) {
  float* slot = slots_[local_rank_] + offset;
  for (int r = 0; r < local_size_; ++r) {
    if (r == local_rank_) continue;
    const Segment theirs = segment_of(r, local_size_, count);
    if (precision == TransportPrecision::fp32) {
      std::memcpy(slot + theirs.begin, slots_[r] + offset + theirs.begin, theirs.count * sizeof(float));
    } else {
      decode(wires_[r] + offset + theirs.begin, theirs.count, precision, slot + theirs.begin);
    }
  }
}

void NodeSharedBuffer::map_wires() {
  // Collective, like allreduce_sum: every rank asks for the same precision at the same step.
  if (wire_window_ != MPI_WIN_NULL) return;
  wires_ = allocate_slots<std::uint16_t>(node_, count_ * sizeof(std::uint16_t), &wire_window_);
}

}  // namespace dptrain
