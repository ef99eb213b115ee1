// The collective operations dptrain needs, behind one small interface so that the trainer and
// gradient averaging never see which library moves the bytes (MPI now; NCCL on GPUs later;
// a single-process stand-in for unit tests).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

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
  virtual int allreduce_min(int value) = 0;
  virtual int allreduce_max(int value) = 0;
  virtual double allreduce_max(double value) = 0;
  virtual void broadcast(float* values, std::size_t count, int root) = 0;
  virtual void barrier() = 0;

  // Collective. Memory for `count` floats that allreduce_sum reduces fastest (on MPI with
  // several ranks per node: memory shared with them). Owned by the communicator.
  virtual float* reduction_buffer(std::size_t count) {
    buffers_.push_back(std::make_unique<float[]>(count));
    return buffers_.back().get();
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
  void allreduce_sum(float*, std::size_t) override {}
  void allreduce_sum(double*, std::size_t) override {}
  int allreduce_min(int value) override { return value; }
  int allreduce_max(int value) override { return value; }
  double allreduce_max(double value) override { return value; }
  void broadcast(float*, std::size_t, int) override {}
  void barrier() override {}
};

}  // namespace dptrain
