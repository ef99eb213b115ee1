#include "dptrain/model/registry.h"

#include <map>

#include "dptrain/error.h"
#include "dptrain/model/linear.h"

namespace dptrain {
namespace {

// The PyTorch quickstart's NeuralNetwork: Flatten, 784→512, ReLU, 512→512, ReLU, 512→10.
// (dptrain::Linear is LibTorch's Linear, able to write its weight gradient in place: linear.h.)
// LibTorch's Linear initialises like PyTorch's, so the same seed gives the same start as the
// Python script, provided the layers are created in the same order. Hence one statement per
// layer: the arguments of a single Sequential(...) call are evaluated in unspecified order.
torch::nn::Sequential quickstart_mlp() {
  torch::nn::Sequential model;
  model->push_back(torch::nn::Flatten());
  model->push_back(Linear(28 * 28, 512));
  model->push_back(torch::nn::ReLU());
  model->push_back(Linear(512, 512));
  model->push_back(torch::nn::ReLU());
  model->push_back(Linear(512, 10));
  return model;
}

// The quickstart MLP 4x wider (784→2048→2048→10, 5.8 M parameters): 8.7x the work per step
// for 8.7x the gradient bytes, a workload where scaling studies measure more than latency.
torch::nn::Sequential wide_mlp() {
  torch::nn::Sequential model;
  model->push_back(torch::nn::Flatten());
  model->push_back(Linear(28 * 28, 2048));
  model->push_back(torch::nn::ReLU());
  model->push_back(Linear(2048, 2048));
  model->push_back(torch::nn::ReLU());
  model->push_back(Linear(2048, 10));
  return model;
}

// A small CNN (two 3x3 convolutions with pooling, then 3136→128→10; 0.4 M parameters): much
// more compute per parameter than the MLPs, the regime where data parallelism scales best.
torch::nn::Sequential small_cnn() {
  using namespace torch::nn;
  Sequential model;
  model->push_back(Conv2d(Conv2dOptions(1, 32, 3).padding(1)));
  model->push_back(ReLU());
  model->push_back(MaxPool2d(MaxPool2dOptions(2)));
  model->push_back(Conv2d(Conv2dOptions(32, 64, 3).padding(1)));
  model->push_back(ReLU());
  model->push_back(MaxPool2d(MaxPool2dOptions(2)));
  model->push_back(Flatten());
  model->push_back(dptrain::Linear(64 * 7 * 7, 128));
  model->push_back(ReLU());
  model->push_back(dptrain::Linear(128, 10));
  return model;
}

std::map<std::string, ModelFactory>& registry() {
  static std::map<std::string, ModelFactory> models = {
      {"quickstart-mlp", quickstart_mlp}, {"wide-mlp", wide_mlp}, {"small-cnn", small_cnn}};
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
