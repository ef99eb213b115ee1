#include "dptrain/comm/bucket_transport.h"

#include "dptrain/comm/communication_thread.h"

namespace dptrain {
namespace {

std::size_t elements_of(const torch::Tensor& tensor) { return static_cast<std::size_t>(tensor.numel()); }

void reduce_in_place(Communicator& comm, const torch::Tensor& bucket, TransportPrecision precision) {
  comm.allreduce_sum(bucket.data_ptr<float>(), elements_of(bucket), precision);
}

class HostTransport : public BucketTransport {
 public:
  HostTransport(Communicator& comm, TransportPrecision precision, bool overlap)
      : comm_(comm), precision_(precision) {
    if (overlap && comm.size() > 1 && comm.supports_background_collectives()) {
      thread_ = std::make_unique<CommunicationThread>();
    }
  }

  torch::Tensor allocate(std::int64_t elements) override {
    memory_ = torch::from_blob(comm_.reduction_buffer(static_cast<std::size_t>(elements)), {elements},
                               torch::kFloat);
    return memory_;
  }

  torch::Tensor share_parameters(const torch::Tensor& initial) override {
    float* shared = comm_.share_parameters(memory_.data_ptr<float>(), elements_of(memory_),
                                           initial.contiguous().data_ptr<float>());
    if (!shared) return {};
    steps_parameters_ = true;
    return torch::from_blob(shared, memory_.sizes(), torch::kFloat);
  }

  void set_learning_rate(double lr) override { step_scale_ = static_cast<float>(-lr); }

  bool launches_during_backward() const override { return thread_ != nullptr; }

  void launch(const torch::Tensor& bucket) override {
    if (!thread_) {
      reduce(bucket);
      return;
    }
    thread_->post([this, bucket] { reduce(bucket); });
  }

  void launch_after_backward(const torch::Tensor& bucket) override {
    if (thread_) thread_->wait();  // the buckets before it, in order; MPI is then free for us
    reduce(bucket);
  }

  void wait() override {
    if (thread_) thread_->wait();
  }

 private:
  void reduce(const torch::Tensor& bucket) {
    if (!steps_parameters_) {
      reduce_in_place(comm_, bucket, precision_);
      return;
    }
    comm_.allreduce_sum_into_parameters(bucket.data_ptr<float>(), elements_of(bucket), precision_,
                                        step_scale_);
  }

  Communicator& comm_;
  TransportPrecision precision_;
  std::unique_ptr<CommunicationThread> thread_;
  torch::Tensor memory_;
  bool steps_parameters_ = false;
  float step_scale_ = 0.0f;  // -lr: set before backward, read by the reductions it launches
};

class StagedTransport : public BucketTransport {
 public:
  StagedTransport(Communicator& comm, torch::Device device, TransportPrecision precision)
      : comm_(comm), device_(device), precision_(precision) {}

  torch::Tensor allocate(std::int64_t elements) override {
    host_ = torch::from_blob(comm_.reduction_buffer(static_cast<std::size_t>(elements)), {elements},
                             torch::kFloat);
    device_memory_ = torch::zeros({elements}, torch::TensorOptions().device(device_));
    return device_memory_;
  }

  bool launches_during_backward() const override { return false; }

  void launch(const torch::Tensor& bucket) override {
    // The bucket is a view into device_memory_; its twin in host memory sits at the same offset.
    const std::int64_t offset =
        (static_cast<const char*>(bucket.data_ptr()) - static_cast<const char*>(device_memory_.data_ptr())) /
        static_cast<std::int64_t>(sizeof(float));
    torch::Tensor host = host_.narrow(0, offset, bucket.numel());
    host.copy_(bucket);  // waits for the GPU: the gradients are complete
    reduce_in_place(comm_, host, precision_);
    bucket.copy_(host);
  }

  void wait() override {}

 private:
  Communicator& comm_;
  torch::Device device_;
  TransportPrecision precision_;
  torch::Tensor host_;
  torch::Tensor device_memory_;
};

}  // namespace

std::unique_ptr<BucketTransport> make_host_transport(Communicator& comm, TransportPrecision precision,
                                                     bool overlap) {
  return std::make_unique<HostTransport>(comm, precision, overlap);
}

std::unique_ptr<BucketTransport> make_staged_transport(Communicator& comm, torch::Device device,
                                                       TransportPrecision precision) {
  return std::make_unique<StagedTransport>(comm, device, precision);
}

}  // namespace dptrain
