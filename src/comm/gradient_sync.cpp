#include "dptrain/comm/gradient_sync.h"

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
                           std::size_t bucket_bytes)
    : comm_(comm) {
  std::int64_t total = 0;
  for (const auto& p : parameters) total += p.numel();
  torch::Tensor memory = torch::from_blob(comm_.reduction_buffer(static_cast<std::size_t>(total)),
                                          {total}, torch::kFloat);
  std::int64_t used = 0;
  for (const auto& members : plan_buckets(parameters, bucket_bytes)) {
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
  }
}

void GradientSync::zero_grad() {
  for (auto& flat : buckets_) flat.zero_();
}

void GradientSync::reduce() {
  const auto start = std::chrono::steady_clock::now();
  for (auto& flat : buckets_) {
    comm_.allreduce_sum(flat.data_ptr<float>(), static_cast<std::size_t>(flat.numel()));
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
