#include "dptrain/comm/gradient_sync.h"

#include <torch/csrc/autograd/utils/lambda_post_hook.h>

#include <chrono>

#include "dptrain/error.h"

namespace dptrain {
namespace {

// Groups parameters, last first, into buckets of about `bucket_bytes`; a parameter larger than
// a bucket gets a bucket of its own.
std::vector<std::vector<torch::Tensor>> plan_buckets(const std::vector<torch::Tensor>& parameters,
                                                     std::size_t bucket_bytes) {
  std::vector<std::vector<torch::Tensor>> plan;
  std::size_t filled = 0;
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    const std::size_t bytes = static_cast<std::size_t>(it->numel()) * it->element_size();
    if (plan.empty() || (filled > 0 && filled + bytes > bucket_bytes)) {
      plan.emplace_back();
      filled = 0;
    }
    plan.back().push_back(*it);
    filled += bytes;
  }
  return plan;
}

}  // namespace

GradientSync::GradientSync(const std::vector<torch::Tensor>& parameters, Communicator& comm,
                           GradientSyncOptions options)
    : GradientSync(parameters, make_host_transport(comm, options.precision, options.overlap),
                   options) {}

GradientSync::GradientSync(const std::vector<torch::Tensor>& parameters,
                           std::unique_ptr<BucketTransport> transport, GradientSyncOptions options)
    : transport_(std::move(transport)),
      overlap_(options.overlap && transport_->launches_during_backward()) {
  std::int64_t total = 0;
  for (const auto& p : parameters) total += p.numel();
  torch::Tensor memory = transport_->allocate(total);
  const auto plan = plan_buckets(parameters, options.bucket_bytes);
  std::int64_t used = 0;
  for (const auto& members : plan) {
    std::int64_t elements = 0;
    for (const auto& p : members) elements += p.numel();
    torch::Tensor flat = memory.narrow(0, used, elements);
    used += elements;
    std::int64_t offset = 0;
    for (auto p : members) {
      if (p.scalar_type() != torch::kFloat) throw Error("gradient averaging supports float32 parameters only");
      // Autograd accumulates into an existing gradient in place, so the view survives backward.
      p.mutable_grad() = flat.narrow(0, offset, p.numel()).view(p.sizes());
      offset += p.numel();
    }
    buckets_.push_back(flat);
    bucket_parameters_.push_back(static_cast<int>(members.size()));
  }
  missing_ = std::make_unique<std::atomic<int>[]>(buckets_.size());
  if (overlap_) install_hooks(plan);
  zero_grad();
}

GradientSync::~GradientSync() {
  // The hooks point at this object: take them off the accumulators, which may outlive it.
  for (auto& accumulator : accumulators_) accumulator->post_hooks().clear();
}

void GradientSync::install_hooks(const std::vector<std::vector<torch::Tensor>>& plan) {
  for (std::size_t bucket = 0; bucket < plan.size(); ++bucket) {
    for (const auto& p : plan[bucket]) {
      auto accumulator = torch::autograd::impl::grad_accumulator(p);
      accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
          [this, bucket](const torch::autograd::variable_list& outputs,
                         const torch::autograd::variable_list&) {
            gradient_ready(bucket);
            return outputs;
          }));
      accumulators_.push_back(std::move(accumulator));
    }
  }
}

void GradientSync::zero_grad() {
  for (auto& flat : buckets_) flat.zero_();
  for (std::size_t b = 0; b < buckets_.size(); ++b) missing_[b] = bucket_parameters_[b];
  next_launch_ = 0;
}

void GradientSync::gradient_ready(std::size_t bucket) {
  if (missing_[bucket].fetch_sub(1) == 1) launch_ready_buckets();
}

void GradientSync::launch_ready_buckets() {
  // Launch strictly in index order so that every rank issues the same collectives in the
  // same sequence, whatever order its hooks fire in. The last bucket is complete only when
  // backward ends, with nothing left to overlap: finish() launches it.
  while (next_launch_ + 1 < buckets_.size() && missing_[next_launch_] <= 0) {
    transport_->launch(buckets_[next_launch_++]);
  }
}

void GradientSync::finish() {
  const auto start = std::chrono::steady_clock::now();
  launched_during_backward_ = next_launch_;
  while (next_launch_ < buckets_.size()) transport_->launch_after_backward(buckets_[next_launch_++]);
  transport_->wait();
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::size_t GradientSync::bucket_elements(std::size_t bucket) const {
  return static_cast<std::size_t>(buckets_.at(bucket).numel());
}

void broadcast_parameters(const std::vector<torch::Tensor>& parameters, Communicator& comm,
                          int root) {
  if (comm.size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat_parts;
  for (const auto& p : parameters) flat_parts.push_back(p.detach().reshape({-1}));
  torch::Tensor flat = torch::cat(flat_parts).contiguous();
  comm.broadcast(flat.data_ptr<float>(), static_cast<std::size_t>(flat.numel()), root);
  std::int64_t offset = 0;
  for (auto p : parameters) {
    p.copy_(flat.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

}  // namespace dptrain
