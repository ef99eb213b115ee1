#include "dptrain/model/gradient_destination.h"

#include <mutex>
#include <unordered_map>

namespace dptrain {
namespace {

// Keyed by the parameter's TensorImpl: every handle of a parameter shares it, and loading
// values into a parameter (Module::load) keeps it.
struct Destinations {
  std::mutex mutex;
  std::unordered_map<const void*, GradientDestination> by_parameter;
};

Destinations& destinations() {
  static Destinations all;
  return all;
}

const void* key(const torch::Tensor& parameter) { return parameter.unsafeGetTensorImpl(); }

}  // namespace

void set_gradient_destination(const torch::Tensor& parameter, GradientDestination destination) {
  Destinations& all = destinations();
  std::lock_guard<std::mutex> lock(all.mutex);
  all.by_parameter[key(parameter)] = std::move(destination);
}

void clear_gradient_destination(const torch::Tensor& parameter) {
  Destinations& all = destinations();
  std::lock_guard<std::mutex> lock(all.mutex);
  all.by_parameter.erase(key(parameter));
}

bool has_gradient_destination(const torch::Tensor& parameter) {
  Destinations& all = destinations();
  std::lock_guard<std::mutex> lock(all.mutex);
  return all.by_parameter.count(key(parameter)) > 0;
}

torch::Tensor gradient_destination(const torch::Tensor& parameter) {
  GradientDestination destination;
  {
    Destinations& all = destinations();
    std::lock_guard<std::mutex> lock(all.mutex);
    const auto it = all.by_parameter.find(key(parameter));
    if (it == all.by_parameter.end()) return {};
    destination = it->second;
  }
  return destination();
}

}  // namespace dptrain
