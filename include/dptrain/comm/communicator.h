// The collective operations dptrain needs, behind one small interface so that the trainer and
// gradient averaging never see which library moves the bytes (MPI; NCCL joins it for gradients
// on GPUs; a single-process stand-in for unit tests).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <memory>
#include <vector>

#include "dptrain/comm/transport_precision.h"
#include "dptrain/error.h"

namespace dptrain {

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank among the ranks on the same node, and how many share the node.
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;

  // In place: every rank ends with the element-wise sum over all ranks.
  virtual void allreduce_sum(float* values, std::size_t count) = 0;
  virtual void allreduce_sum(double* values, std::size_t count) = 0;
  // The same, with the values crossing process boundaries in `precision` (see
  // transport_precision.h). Values that never leave the process are not rounded.
  virtual void allreduce_sum(float* values, std::size_t count, TransportPrecision precision) {
    if (size() == 1) return;
    round_to_precision(values, count, precision);
    allreduce_sum(values, count);
  }
  virtual int allreduce_min(int value) = 0;
  virtual int allreduce_max(int value) = 0;
  virtual double allreduce_max(double value) = 0;
  virtual void broadcast(float* values, std::size_t count, int root) = 0;
  // Small opaque blobs, such as the id every rank needs to join an NCCL communicator.
  virtual void broadcast_bytes(void* data, std::size_t bytes, int root) = 0;
  // Rank r's `count` values land at out[r * count]; out holds size() * count values.
  virtual void allgather(const double* values, std::size_t count, double* out) = 0;
  virtual void barrier() = 0;

  // Where training stands, for messages about a collective that hangs.
  virtual void set_position(int /*epoch*/, std::int64_t /*step*/) {}

  // Runs `wait`, which blocks until work this rank queued elsewhere is done, watched like a
  // collective: on a GPU, reading a result back waits for the queued NCCL averages, which wait
  // for every rank, so a rank that stops responding would otherwise hold the others there.
  virtual void watch_wait(const char* /*what*/, const std::function<void()>& wait) { wait(); }

  // Gathers every rank's text on `root` (others get an empty list).
  virtual std::vector<std::string> gather_text(const std::string& text, int root) = 0;

  // Whether collectives may be issued from a communication thread while the training thread
  // computes (it issues none at the same time).
  virtual bool supports_background_collectives() const { return true; }

  // Collective. Memory for `count` floats that allreduce_sum reduces fastest (on MPI with
  // several ranks per node: memory shared with them). Owned by the communicator.
  virtual float* reduction_buffer(std::size_t count) {
    buffers_.push_back(std::make_unique<float[]>(count));
    return buffers_.back().get();
  }

  // Collective. Memory for the parameters whose gradients are in `gradients` (all of a
  // reduction_buffer, `count` floats), laid out like them, held once per node and shared by its
  // ranks, filled with `initial` (the same on every rank); nullptr where ranks share no memory.
  virtual float* share_parameters(const float* /*gradients*/, std::size_t /*count*/,
                                  const float* /*initial*/) {
    return nullptr;
  }
  // Collective, on gradients whose parameters are shared: sums `values` over all ranks like
  // allreduce_sum, then adds `scale` times the sum to the shared parameters at the same place
  // (an SGD step, each rank of a node doing a part). `values` ends undefined: partly summed, or
  // as it was.
  virtual void allreduce_sum_into_parameters(float* /*values*/, std::size_t /*count*/,
                                             TransportPrecision /*precision*/, float /*scale*/) {
    throw Error("internal: no shared parameters to update");
  }

 private:
  std::vector<std::unique_ptr<float[]>> buffers_;
};

// A job of one rank: every collective is the identity. Lets unit tests and the converter run
// the same code without MPI.
class SingleRankCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  using Communicator::allreduce_sum;
  void allreduce_sum(float*, std::size_t) override {}
  void allreduce_sum(double*, std::size_t) override {}
  int allreduce_min(int value) override { return value; }
  int allreduce_max(int value) override { return value; }
  double allreduce_max(double value) override { return value; }
  void broadcast(float*, std::size_t, int) override {}
  void broadcast_bytes(void*, std::size_t, int) override {}
  void allgather(const double* values, std::size_t count, double* out) override {
    std::copy(values, values + count, out);
  }
  std::vector<std::string> gather_text(const std::string& text, int) override { return {text}; }
  void barrier() override {}
};

}  // namespace dptrain
