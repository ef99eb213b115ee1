#include "dptrain/comm/node_shared_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "dptrain/error.h"

namespace dptrain {
namespace {

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw Error(std::string(what) + " failed");
}

struct Segment {
  std::size_t begin;
  std::size_t count;
};

// Local rank l reduces segment l; segments are 16-float aligned so vector loops stay aligned.
Segment segment_of(int local_rank, int local_size, std::size_t count) {
  const std::size_t blocks = (count + 15) / 16;
  const std::size_t first = blocks * local_rank / local_size;
  const std::size_t last = blocks * (local_rank + 1) / local_size;
  const std::size_t begin = std::min(first * 16, count);
  return {begin, std::min(last * 16, count) - begin};
}

// out[i] = sum over slots of slot[i], summed in slot order on every rank so that results are
// bit-identical wherever they are computed. `out` may be one of the slots: each block is read
// completely before it is written.
void sum_slots(const std::vector<const float*>& slots, float* out, std::size_t count) {
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
    std::memcpy(out + start, sum, n * sizeof(float));
  }
}

}  // namespace

NodeSharedBuffer::NodeSharedBuffer(MPI_Comm node, MPI_Comm across_nodes, std::size_t count)
    : node_(node), across_nodes_(across_nodes), count_(count) {
  check(MPI_Comm_rank(node_, &local_rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(node_, &local_size_), "MPI_Comm_size");
  // Pad each slot to a 4 KiB page so slots of different ranks never share a cache line.
  const MPI_Aint bytes = static_cast<MPI_Aint>((count * sizeof(float) + 4095) / 4096 * 4096);
  void* mine = nullptr;
  check(MPI_Win_allocate_shared(bytes, sizeof(float), MPI_INFO_NULL, node_, &mine, &window_),
        "MPI_Win_allocate_shared");
  for (int r = 0; r < local_size_; ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    void* base = nullptr;
    check(MPI_Win_shared_query(window_, r, &size, &unit, &base), "MPI_Win_shared_query");
    slots_.push_back(static_cast<float*>(base));
  }
  std::memset(mine, 0, static_cast<std::size_t>(bytes));
  // One passive-target epoch for the window's lifetime; MPI_Win_sync orders the loads and
  // stores around each barrier.
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
}

NodeSharedBuffer::~NodeSharedBuffer() {
  if (window_ == MPI_WIN_NULL) return;
  MPI_Win_unlock_all(window_);
  MPI_Win_free(&window_);
}

void NodeSharedBuffer::node_barrier() {
  MPI_Win_sync(window_);
  check(MPI_Barrier(node_), "MPI_Barrier");
  MPI_Win_sync(window_);
}

void NodeSharedBuffer::allreduce_sum(std::size_t offset, std::size_t count) {
  node_barrier();  // every rank's contribution is in its slot
  const Segment mine = segment_of(local_rank_, local_size_, count);
  std::vector<const float*> inputs;
  for (float* slot : slots_) inputs.push_back(slot + offset + mine.begin);
  float* result = slots_[local_rank_] + offset + mine.begin;
  sum_slots(inputs, result, mine.count);
  if (across_nodes_ != MPI_COMM_NULL && mine.count > 0) {
    check(MPI_Allreduce(MPI_IN_PLACE, result, static_cast<int>(mine.count), MPI_FLOAT, MPI_SUM,
                        across_nodes_),
          "MPI_Allreduce across nodes");
  }
  node_barrier();  // every segment is final in its owner's slot
  for (int r = 0; r < local_size_; ++r) {
    if (r == local_rank_) continue;
    const Segment theirs = segment_of(r, local_size_, count);
    std::memcpy(slots_[local_rank_] + offset + theirs.begin, slots_[r] + offset + theirs.begin,
                theirs.count * sizeof(float));
  }
  node_barrier();  // nobody overwrites a slot that another rank is still copying from
}

}  // namespace dptrain
