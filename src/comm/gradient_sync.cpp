#include "dptrain/comm/gradient_sync.h"

#include <torch/csrc/autograd/function_hook.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "dptrain/error.h"
#include "dptrain/model/gradient_destination.h"

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

// A hook run before a parameter's AccumulateGrad that takes the gradient over: AccumulateGrad
// then receives no gradient, and does nothing.
class BeforeAccumulating : public torch::autograd::FunctionPreHook {
 public:
  explicit BeforeAccumulating(std::function<void(const torch::Tensor&)> take) : take_(std::move(take)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& gradients) override {
    take_(gradients.at(0));
    return {torch::Tensor()};
  }

 private:
  std::function<void(const torch::Tensor&)> take_;
};

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
  std::int64_t used = 0;
  for (const auto& members : plan_buckets(parameters, options.bucket_bytes)) {
    std::int64_t elements = 0;
    for (const auto& p : members) elements += p.numel();
    buckets_.push_back(memory.narrow(0, used, elements));
    bucket_first_.push_back(gradients_.size());
    for (auto p : members) {
      if (p.scalar_type() != torch::kFloat) throw Error("gradient averaging supports float32 parameters only");
      torch::Tensor view = memory.narrow(0, used, p.numel()).view(p.sizes());
      p.mutable_grad() = view;
      gradients_.push_back({p, view, buckets_.size() - 1, used, {}, false, {}, nullptr});
      used += p.numel();
    }
  }
  bucket_first_.push_back(gradients_.size());
  missing_ = std::make_unique<std::atomic<int>[]>(buckets_.size());
  if (options.sgd_step) share_parameters(memory);
  offer_views_to_backward();
  zero_grad();
}

void GradientSync::offer_views_to_backward() {
  // A layer that can compute a gradient into given memory (dptrain::Linear, for its weight)
  // writes the step's first gradient straight into the view, and the hook has nothing to copy.
  // A second backward in the same step gets fresh memory, which the hook adds. On the CPU only:
  // on a GPU the copy is a kernel on the accumulator's stream, and cheap.
  for (std::size_t i = 0; i < gradients_.size(); ++i) {
    if (!gradients_[i].view.is_cpu()) continue;
    set_gradient_destination(gradients_[i].parameter, [this, i] {
      const Gradient& g = gradients_[i];
      return g.written ? torch::Tensor() : g.view;
    });
  }
}

void GradientSync::share_parameters(const torch::Tensor& memory) {
  torch::NoGradGuard no_grad;
  torch::Tensor initial = torch::empty_like(memory);
  for (const auto& g : gradients_) {
    initial.narrow(0, g.offset, g.parameter.numel()).copy_(g.parameter.reshape({-1}));
  }
  const torch::Tensor shared = transport_->share_parameters(initial);
  if (!shared.defined()) return;
  for (auto& g : gradients_) {
    g.shared = shared.narrow(0, g.offset, g.parameter.numel()).view(g.parameter.sizes());
    g.parameter.set_data(g.shared);
  }
  steps_parameters_ = true;
}

void GradientSync::keep_parameter_shared(Gradient& g) {
  // Loading a checkpoint (Module::load) gives a parameter storage of its own. Every rank loads
  // the same values at the same step, so each writes them back over the shared copy: the
  // bytes a rank may read while another writes are the same either way.
  if (!g.shared.defined() || g.parameter.data_ptr() == g.shared.data_ptr()) return;
  torch::NoGradGuard no_grad;
  g.shared.copy_(g.parameter);
  g.parameter.set_data(g.shared);
}

GradientSync::~GradientSync() {
  // The hooks and destinations point at this object: take them off the parameters, which may
  // outlive it.
  for (auto& g : gradients_) {
    detach_hook(g);
    clear_gradient_destination(g.parameter);
  }
}

void GradientSync::keep_hook_attached(std::size_t parameter) {
  // Loading parameters in place (Module::load, as resuming from a checkpoint does) drops their
  // gradient accumulators, and the hooks with them: backward would then make new ones that
  // add to the views unseen. Checked at every step, it costs a lookup per parameter.
  Gradient& g = gradients_[parameter];
  if (g.accumulator && torch::autograd::impl::try_get_grad_accumulator(g.parameter) == g.accumulator) return;
  detach_hook(g);
  // The hook runs where autograd would accumulate the gradient and does it instead, into the
  // view: it writes the first gradient of a step over the last step's (autograd would add it
  // to zeros, one more pass over the memory) and hands AccumulateGrad nothing, so the view is
  // never replaced.
  auto hook = std::make_unique<BeforeAccumulating>(
      [this, parameter](const torch::Tensor& gradient) { gradient_arrived(parameter, gradient); });
  g.hook = hook.get();
  g.accumulator = torch::autograd::impl::grad_accumulator(g.parameter);
  g.accumulator->add_pre_hook(std::move(hook));
}

void GradientSync::detach_hook(Gradient& g) {
  if (!g.accumulator) return;
  auto& hooks = g.accumulator->pre_hooks();
  hooks.erase(std::remove_if(hooks.begin(), hooks.end(), [&](const auto& h) { return h.get() == g.hook; }),
              hooks.end());
  g.accumulator.reset();
  g.hook = nullptr;
}

void GradientSync::zero_grad() {
  for (std::size_t i = 0; i < gradients_.size(); ++i) {
    gradients_[i].written = false;
    keep_parameter_shared(gradients_[i]);
    keep_hook_attached(i);
  }
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    missing_[b] = static_cast<int>(bucket_first_[b + 1] - bucket_first_[b]);
  }
  next_launch_ = 0;
}

void GradientSync::gradient_arrived(std::size_t parameter, const torch::Tensor& gradient) {
  Gradient& g = gradients_[parameter];
  torch::NoGradGuard no_grad;
  if (g.written) {  // a second backward in the same step adds to the first, as autograd would
    g.view.add_(gradient);
    return;
  }
  // Backward may have written it in place already (offer_views_to_backward).
  if (gradient.data_ptr() != g.view.data_ptr()) g.view.copy_(gradient);
  g.written = true;
  if (missing_[g.bucket].fetch_sub(1) == 1 && overlap_) launch_ready_buckets();
}

void GradientSync::zero_unwritten(std::size_t bucket) {
  for (std::size_t i = bucket_first_[bucket]; i < bucket_first_[bucket + 1]; ++i) {
    if (!gradients_[i].written) gradients_[i].view.zero_();
  }
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
  for (; next_launch_ < buckets_.size(); ++next_launch_) {
    zero_unwritten(next_launch_);  // parameters that had no part in this step's loss
    transport_->launch_after_backward(buckets_[next_launch_]);
  }
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
