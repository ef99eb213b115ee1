#include "dptrain/model/registry.h"

#include <map>

#include "dptrain/error.h"

namespace dptrain {
namespace {

// The PyTorch quickstart's NeuralNetwork: Flatten, 784→512, ReLU, 512→512, ReLU, 512→10.
// LibTorch's Linear initialises like PyTorch's, so the same seed gives the same start as the
// Python script, provided the layers are created in the same order. Hence one statement per
// layer: the arguments of a single Sequential(...) call are evaluated in unspecified order.
torch::nn::Sequential quickstart_mlp() {
  torch::nn::Sequential model;
  model->push_back(torch::nn::Flatten());
  model->push_back(torch::nn::Linear(28 * 28, 512));
  model->push_back(torch::nn::ReLU());
  model->push_back(torch::nn::Linear(512, 512));
  model->push_back(torch::nn::ReLU());
  model->push_back(torch::nn::Linear(512, 10));
  return model;
}

std::map<std::string, ModelFactory>& registry() {
  static std::map<std::string, ModelFactory> models = {{"quickstart-mlp", quickstart_mlp}};
  return models;
}

}  // namespace

torch::nn::Sequential make_model(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known;
    for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown model '" + name + "' (known: " + known + ")");
  }
  return it->second();
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

void register_model(const std::string& name, ModelFactory factory) {
  registry()[name] = std::move(factory);
}

}  // namespace dptrain
