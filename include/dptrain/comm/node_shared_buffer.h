// Allreduce through memory shared by the ranks of a node.
//
// Every rank of a node owns one slot of an MPI shared-memory window and puts the data to be
// reduced there (gradient buckets live there, so backward writes straight into it). A
// reduction then costs two reads and one write of the buffer per rank, all within the node's
// caches: local rank l sums segment l over all slots, the node leaders of segment l combine
// their sums across nodes with MPI, and every rank copies the finished segments back into its
// own slot. That beats message passing within a node, which copies each byte several times.
//
// The ranks of a node may also hold the model's parameters once between them, laid out like
// the slots (share_parameters). A reduction can then end in an optimizer step instead: local
// rank l adds its finished segment, times the step size, to segment l of the parameters, and
// nobody copies anything back. Each rank updates 1/ranks of the parameters and never reads the
// other segments' sums.
//
// With a 16-bit precision (--grad-dtype bf16|fp16) the bytes that cross between cores are
// halved too: each rank rounds its slot into a 16-bit twin (a second window, made on first
// use), segment owners sum the twins in fp32 and publish their result rounded to 16 bits, and
// every rank decodes the published segments into its slot.
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dptrain/comm/transport_precision.h"

namespace dptrain {

// Throws unless `code`, from allocating a shared window, is MPI_SUCCESS. Open MPI backs such a
// window with a file in /dev/shm (its osc_sm_backing_directory); one too small or full (a
// container's 64 MB default) fails with an "internal error" that names neither the memory nor
// the way around it, so the message does.
void check_node_memory(int code, const std::string& what);

class NodeSharedBuffer {
 public:
  // The elements of a reduction that one local rank sums (and updates).
  struct Segment {
    std::size_t begin;
    std::size_t count;
  };

  // Collective over `world`. `node` holds the ranks of this node and `across_nodes` the ranks
  // with the same local rank on the other nodes (MPI_COMM_NULL for a single node).
  NodeSharedBuffer(MPI_Comm node, MPI_Comm across_nodes, std::size_t count);
  ~NodeSharedBuffer();
  NodeSharedBuffer(const NodeSharedBuffer&) = delete;
  NodeSharedBuffer& operator=(const NodeSharedBuffer&) = delete;

  float* data() { return slots_[local_rank_]; }
  std::size_t size() const { return count_; }
  bool contains(const float* values, std::size_t count) const {
    return values >= slots_[local_rank_] && values + count <= slots_[local_rank_] + count_;
  }

  // Collective: sums data()[offset, offset + count) over all ranks of the job, in place.
  // With a 16-bit precision each rank's contribution is rounded to it, and so are the node's
  // partial sums between nodes and the result: every rank ends with the same 16-bit values.
  void allreduce_sum(std::size_t offset, std::size_t count, TransportPrecision precision);

  // Collective: memory for `count` parameters held once per node and shared by its ranks,
  // filled with `initial` (every rank passes the same values; local rank 0's are copied).
  float* share_parameters(const float* initial);

  // Collective: sums data()[offset, offset + count) over all ranks like allreduce_sum, then adds
  // `scale` times the sum to shared_parameters()[offset, offset + count), each rank of a node
  // a segment. data() is left with this rank's contribution, except that between nodes its
  // segment holds the sum (a single node takes the step as it sums, and never stores the sum).
  void allreduce_sum_into_parameters(std::size_t offset, std::size_t count,
                                     TransportPrecision precision, float scale);

 private:
  // Lives in shared memory: a counter of arrivals and a generation that the last one bumps.
  struct BarrierState {
    alignas(64) std::atomic<int> arrived;
    alignas(64) std::atomic<int> generation;
  };

  void node_barrier();
  // Leaves this rank's segment of [offset, offset + count), summed over all ranks, in its slot.
  Segment sum_my_segment(std::size_t offset, std::size_t count, TransportPrecision precision);
  // Segment `mine` of [offset, ...) in every local rank's slot, in local rank order.
  std::vector<const float*> segment_in_every_slot(std::size_t offset, Segment mine) const;
  void sum_my_segment_in_16_bits(std::size_t offset, std::size_t count, Segment mine,
                                 TransportPrecision precision);
  void copy_back_other_segments(std::size_t offset, std::size_t count, TransportPrecision precision);
  void map_wires();

  MPI_Comm node_;
  MPI_Comm across_nodes_;
  MPI_Win window_ = MPI_WIN_NULL;
  MPI_Win barrier_window_ = MPI_WIN_NULL;
  BarrierState* barrier_ = nullptr;
  int local_rank_ = 0;
  int local_size_ = 1;
  std::size_t count_;
  std::vector<float*> slots_;  // every local rank's slot, mapped into this process
  MPI_Win wire_window_ = MPI_WIN_NULL;
  std::vector<std::uint16_t*> wires_;  // every local rank's 16-bit twin of its slot
  MPI_Win parameter_window_ = MPI_WIN_NULL;
  float* parameters_ = nullptr;  // the node's one copy, owned by local rank 0
};

}  // namespace dptrain
