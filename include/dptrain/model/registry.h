// Models by name, so a configuration file can choose one ("model = quickstart-mlp").
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace dptrain {

using ModelFactory = std::function<torch::nn::Sequential()>;

// Builds a fresh model; its initial parameters come from LibTorch's generator, so seed it
// first (torch::manual_seed) for a reproducible start. Throws for an unknown name.
torch::nn::Sequential make_model(const std::string& name);

std::vector<std::string> model_names();

// Adds a model under `name` (used by the built-in models and by tests).
void register_model(const std::string& name, ModelFactory factory);

}  // namespace dptrain
