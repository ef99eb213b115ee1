#include "dptrain/comm/mpi_communicator.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

#include "dptrain/comm/mpi_allreduce.h"
#include "dptrain/comm/mpi_check.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

// MPI counts are ints: large buffers go in pieces.
constexpr std::size_t kMaxCount = INT_MAX / 2;

template <class T>
void allreduce_in_pieces(T* values, std::size_t count, MPI_Datatype type, MPI_Comm comm) {
  for (std::size_t done = 0; done < count; done += kMaxCount) {
    const int piece = static_cast<int>(std::min(kMaxCount, count - done));
    DPTRAIN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values + done, piece, type, MPI_SUM, comm));
  }
}

int ranks_per_node_for_tests() {
  const char* text = std::getenv("DPTRAIN_TEST_RANKS_PER_NODE");
  return text ? std::max(0, std::atoi(text)) : 0;
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  DPTRAIN_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided));
  // Errors come back as codes and become dptrain::Error instead of aborting inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

NodeSharing node_sharing_from_environment() {
  const char* setting = std::getenv("DPTRAIN_SHARED_MEMORY");
  const std::string value = setting ? setting : "";
  if (value.empty() || value == "1") return NodeSharing::everything;
  if (value == "0") return NodeSharing::nothing;
  // Buckets shared, parameters each rank's own: tells apart what sharing each costs the cores.
  if (value == "gradients") return NodeSharing::gradients;
  throw Error("DPTRAIN_SHARED_MEMORY=" + value + ": expected 1 (the default), gradients or 0");
}

NodeSharing MpiCommunicator::agreed_node_sharing() {
  // The ranks' collectives match only if they all share memory the same way: a value that
  // some ranks lack (a variable not exported to other nodes) fails on every rank, never hangs.
  std::string problem;
  int mine = -1;
  try {
    mine = static_cast<int>(node_sharing_from_environment());
  } catch (const Error& e) {
    problem = e.what();
  }
  const int lowest = allreduce_min(mine), highest = allreduce_max(mine);
  if (lowest == highest && lowest >= 0) return static_cast<NodeSharing>(lowest);
  if (!problem.empty()) throw Error(problem);
  throw Error("DPTRAIN_SHARED_MEMORY differs between the ranks: export the same value to all of "
              "them (mpirun -x DPTRAIN_SHARED_MEMORY)");
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm) {
  DPTRAIN_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  DPTRAIN_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  sharing_ = agreed_node_sharing();
  // Ranks that share memory are the ranks of one node: that is what thread layout and GPU
  // selection need, and it holds under mpirun and srun alike (SLURM_* variables do not).
  // DPTRAIN_TEST_RANKS_PER_NODE=K, a testing hook, makes every K consecutive ranks a node of
  // their own, so that one machine runs the reduction between nodes too.
  if (const int per_node = ranks_per_node_for_tests()) {
    DPTRAIN_MPI_CHECK(MPI_Comm_split(comm_, rank_ / per_node, rank_, &node_comm_));
  } else {
    DPTRAIN_MPI_CHECK(
        MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_comm_));
  }
  DPTRAIN_MPI_CHECK(MPI_Comm_rank(node_comm_, &local_rank_));
  DPTRAIN_MPI_CHECK(MPI_Comm_size(node_comm_, &local_size_));
  // Node-shared reduction needs the same number of ranks on every node, so that segment l
  // means the same elements everywhere. DPTRAIN_SHARED_MEMORY=0 turns it off. (Every rank
  // takes part in both reductions: a rank alone on its node skipping them hung the job.)
  const bool same_on_every_node = allreduce_min(local_size_) == allreduce_max(local_size_);
  shared_memory_ = sharing_ != NodeSharing::nothing && local_size_ > 1 && same_on_every_node;
  if (shared_memory_ && local_size_ < size_) {
    DPTRAIN_MPI_CHECK(MPI_Comm_split(comm_, local_rank_, rank_, &across_nodes_comm_));
  }
}

MpiCommunicator::~MpiCommunicator() {
  watchdog_.reset();
  if (progress_window_ != MPI_WIN_NULL) MPI_Win_free(&progress_window_);
  shared_buffers_.clear();
  if (across_nodes_comm_ != MPI_COMM_NULL) MPI_Comm_free(&across_nodes_comm_);
  if (node_comm_ != MPI_COMM_NULL) MPI_Comm_free(&node_comm_);
}

float* MpiCommunicator::reduction_buffer(std::size_t count) {
  if (!shared_memory_) return Communicator::reduction_buffer(count);
  shared_buffers_.push_back(
      std::make_unique<NodeSharedBuffer>(node_comm_, across_nodes_comm_, count));
  return shared_buffers_.back()->data();
}

bool MpiCommunicator::supports_background_collectives() const {
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  return provided >= MPI_THREAD_SERIALIZED;
}

float* MpiCommunicator::share_parameters(const float* gradients, std::size_t count,
                                         const float* initial) {
  if (sharing_ != NodeSharing::everything) return nullptr;
  NodeSharedBuffer* buffer = shared_buffer_holding(gradients, count);
  return buffer && buffer->size() == count ? buffer->share_parameters(initial) : nullptr;
}

void MpiCommunicator::allreduce_sum_into_parameters(float* values, std::size_t count,
                                                    TransportPrecision precision, float scale) {
  NodeSharedBuffer* buffer = shared_buffer_holding(values, count);
  if (!buffer) throw Error("internal: allreduce_sum_into_parameters outside a shared buffer");
  Watched watched(*this, "gradient allreduce");
  buffer->allreduce_sum_into_parameters(static_cast<std::size_t>(values - buffer->data()), count,
                                        precision, scale);
}

NodeSharedBuffer* MpiCommunicator::shared_buffer_holding(const float* values, std::size_t count) {
  for (auto& buffer : shared_buffers_) {
    if (buffer->contains(values, count)) return buffer.get();
  }
  return nullptr;
}

void MpiCommunicator::allreduce_sum(float* values, std::size_t count) {
  allreduce_sum(values, count, TransportPrecision::fp32);
}

void MpiCommunicator::allreduce_sum(float* values, std::size_t count,
                                    TransportPrecision precision) {
  if (size_ == 1) return;
  Watched watched(*this, "gradient allreduce");
  if (NodeSharedBuffer* buffer = shared_buffer_holding(values, count)) {
    buffer->allreduce_sum(static_cast<std::size_t>(values - buffer->data()), count, precision);
    return;
  }
  mpi_allreduce_sum(values, count, precision, comm_);
}

void MpiCommunicator::allreduce_sum(double* values, std::size_t count) {
  Watched watched(*this, "allreduce of metrics");
  allreduce_in_pieces(values, count, MPI_DOUBLE, comm_);
}

int MpiCommunicator::allreduce_min(int value) {
  Watched watched(*this, "agreement (allreduce min)");
  DPTRAIN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MIN, comm_));
  return value;
}

int MpiCommunicator::allreduce_max(int value) {
  Watched watched(*this, "agreement (allreduce max)");
  DPTRAIN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, comm_));
  return value;
}

double MpiCommunicator::allreduce_max(double value) {
  Watched watched(*this, "allreduce max");
  DPTRAIN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, comm_));
  return value;
}

void MpiCommunicator::broadcast(float* values, std::size_t count, int root) {
  Watched watched(*this, "broadcast");
  for (std::size_t done = 0; done < count; done += kMaxCount) {
    const int piece = static_cast<int>(std::min(kMaxCount, count - done));
    DPTRAIN_MPI_CHECK(MPI_Bcast(values + done, piece, MPI_FLOAT, root, comm_));
  }
}

void MpiCommunicator::broadcast_bytes(void* data, std::size_t bytes, int root) {
  Watched watched(*this, "broadcast");
  DPTRAIN_MPI_CHECK(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, comm_));
}

void MpiCommunicator::allgather(const double* values, std::size_t count, double* out) {
  Watched watched(*this, "allgather");
  DPTRAIN_MPI_CHECK(MPI_Allgather(values, static_cast<int>(count), MPI_DOUBLE, out,
                                  static_cast<int>(count), MPI_DOUBLE, comm_));
}

void MpiCommunicator::barrier() {
  Watched watched(*this, "barrier");
  DPTRAIN_MPI_CHECK(MPI_Barrier(comm_));
}

std::vector<std::string> MpiCommunicator::gather_text(const std::string& text, int root) {
  Watched watched(*this, "gather");
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(rank_ == root ? size_ : 0), offsets(lengths.size());
  DPTRAIN_MPI_CHECK(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, root, comm_));
  int total = 0;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  DPTRAIN_MPI_CHECK(MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(),
                                offsets.data(), MPI_CHAR, root, comm_));
  std::vector<std::string> texts;
  for (std::size_t r = 0; r < lengths.size(); ++r) texts.push_back(all.substr(offsets[r], lengths[r]));
  return texts;
}

void MpiCommunicator::watch_wait(const char* what, const std::function<void()>& wait) {
  if (size_ == 1) {
    wait();
    return;
  }
  Watched watched(*this, what);
  wait();
}

void MpiCommunicator::set_position(int epoch, std::int64_t step) {
  if (watchdog_) watchdog_->set_position(epoch, step);
}

void MpiCommunicator::enable_watchdog(double timeout_seconds) {
  if (sharing_ != NodeSharing::nothing) share_progress();
  watchdog_ = std::make_unique<CollectiveWatchdog>(
      timeout_seconds, rank_, local_size_ < size_,
      [this](std::int64_t sequence) { return ranks_behind(sequence); },
      [] { MPI_Abort(MPI_COMM_WORLD, 1); });
}

// Each rank of the node counts the collectives it has entered in a shared window, so that a
// watchdog can name the ranks of its node that have not arrived.
void MpiCommunicator::share_progress() {
  void* mine = nullptr;
  check_node_memory(MPI_Win_allocate_shared(sizeof(std::int64_t), sizeof(std::int64_t), MPI_INFO_NULL,
                                            node_comm_, &mine, &progress_window_),
                    "node-shared memory for the collective watchdog");
  *static_cast<std::int64_t*>(mine) = 0;
  for (int r = 0; r < local_size_; ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    void* base = nullptr;
    DPTRAIN_MPI_CHECK(MPI_Win_shared_query(progress_window_, r, &size, &unit, &base));
    progress_.push_back(static_cast<volatile std::int64_t*>(base));
  }
  world_rank_of_local_.resize(local_size_);
  DPTRAIN_MPI_CHECK(MPI_Allgather(&rank_, 1, MPI_INT, world_rank_of_local_.data(), 1, MPI_INT, node_comm_));
}

std::string MpiCommunicator::ranks_behind(std::int64_t sequence) const {
  if (progress_.empty()) return "unknown (with DPTRAIN_SHARED_MEMORY=0 the ranks share no progress)";
  std::string ranks;
  for (int r = 0; r < local_size_; ++r) {
    if (*progress_[r] < sequence) ranks += (ranks.empty() ? "rank " : ", rank ") + std::to_string(world_rank_of_local_[r]);
  }
  return ranks;
}

MpiCommunicator::Watched::Watched(MpiCommunicator& comm, const char* what) : comm_(comm) {
  if (!comm_.watchdog_) return;
  const std::int64_t sequence = comm_.watchdog_->enter(what);
  if (!comm_.progress_.empty()) *comm_.progress_[comm_.local_rank_] = sequence;
}

MpiCommunicator::Watched::~Watched() {
  if (comm_.watchdog_) comm_.watchdog_->leave();
}

}  // namespace dptrain
