// Communicator over an MPI communicator: shared memory within a node, the network between.
#pragma once

#include <mpi.h>

#include <memory>
#include <vector>

#include "dptrain/comm/communicator.h"
#include "dptrain/comm/node_shared_buffer.h"
#include "dptrain/comm/watchdog.h"

namespace dptrain {

// Initialises MPI for the lifetime of the object and finalises it on destruction. It asks for
// MPI_THREAD_SERIALIZED: the communication thread issues collectives while the training
// thread computes, never two threads at once.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// What the ranks of a node may hold in memory shared between them: DPTRAIN_SHARED_MEMORY=1
// (the default) the gradient buckets and the parameters, =gradients the buckets only (each rank
// steps parameters of its own), =0 nothing (plain MPI_Allreduce).
enum class NodeSharing { nothing, gradients, everything };

// Reads DPTRAIN_SHARED_MEMORY; throws dptrain::Error on a value it does not know.
NodeSharing node_sharing_from_environment();

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }

  void allreduce_sum(float* values, std::size_t count) override;
  void allreduce_sum(float* values, std::size_t count, TransportPrecision precision) override;
  void allreduce_sum(double* values, std::size_t count) override;
  int allreduce_min(int value) override;
  int allreduce_max(int value) override;
  double allreduce_max(double value) override;
  void broadcast(float* values, std::size_t count, int root) override;
  void broadcast_bytes(void* data, std::size_t bytes, int root) override;
  void allgather(const double* values, std::size_t count, double* out) override;
  void barrier() override;
  float* reduction_buffer(std::size_t count) override;
  float* share_parameters(const float* gradients, std::size_t count, const float* initial) override;
  void allreduce_sum_into_parameters(float* values, std::size_t count, TransportPrecision precision,
                                     float scale) override;
  bool supports_background_collectives() const override;
  std::vector<std::string> gather_text(const std::string& text, int root) override;
  void set_position(int epoch, std::int64_t step) override;
  void watch_wait(const char* what, const std::function<void()>& wait) override;

  // Collective. From now on a collective that waits longer than `timeout_seconds` is reported
  // with the ranks that have not arrived, and the job is aborted.
  void enable_watchdog(double timeout_seconds);

  // Whether reduction buffers live in node-shared memory (several ranks per node, the same
  // number on every node); otherwise allreduce is MPI_Allreduce alone.
  bool uses_shared_memory() const { return shared_memory_; }
  // Whether the ranks of a node may also hold the parameters once (share_parameters).
  bool shares_parameters() const { return shared_memory_ && sharing_ == NodeSharing::everything; }

 private:
  // DPTRAIN_SHARED_MEMORY as every rank reads it; throws dptrain::Error on every rank unless
  // they all read the same valid value.
  NodeSharing agreed_node_sharing();
  // Marks this rank as inside a collective for the watchdog, for the scope's lifetime.
  class Watched {
   public:
    Watched(MpiCommunicator& comm, const char* what);
    ~Watched();
   private:
    MpiCommunicator& comm_;
  };
  std::string ranks_behind(std::int64_t sequence) const;
  void share_progress();
  NodeSharedBuffer* shared_buffer_holding(const float* values, std::size_t count);

  MPI_Comm comm_;
  MPI_Comm node_comm_ = MPI_COMM_NULL;
  MPI_Comm across_nodes_comm_ = MPI_COMM_NULL;
  NodeSharing sharing_ = NodeSharing::everything;  // DPTRAIN_SHARED_MEMORY
  bool shared_memory_ = false;
  std::vector<std::unique_ptr<NodeSharedBuffer>> shared_buffers_;
  std::unique_ptr<CollectiveWatchdog> watchdog_;
  MPI_Win progress_window_ = MPI_WIN_NULL;
  // Collectives entered, per local rank; empty when the ranks share no memory.
  std::vector<volatile std::int64_t*> progress_;
  std::vector<int> world_rank_of_local_;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace dptrain
