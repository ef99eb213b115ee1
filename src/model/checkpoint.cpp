#include "dptrain/model/checkpoint.h"

#include <filesystem>
#include <map>

#include "dptrain/error.h"
#include "dptrain/model/registry.h"

namespace dptrain {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string shape_text(torch::IntArrayRef sizes) {
  std::string text = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) text += (i ? "," : "") + std::to_string(sizes[i]);
  return text + "]";
}

}  // namespace

torch::nn::Sequential load_model(const std::string& model_name, const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(path + ": no such checkpoint (`dptrain train --out-dir DIR` writes DIR/model.pt)");
  }
  torch::nn::Sequential model = make_model(model_name);
  // torch::load replaces each parameter by the stored tensor whatever its shape, so a
  // checkpoint of a model with the same layer names but other sizes (wide-mlp for
  // quickstart-mlp) would load silently; compare with the shapes the model was built with.
  std::map<std::string, std::vector<std::int64_t>> expected;
  for (const auto& p : model->named_parameters()) expected[p.key()] = p.value().sizes().vec();
  try {
    torch::load(model, path);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a checkpoint of model '" + model_name + "' (" + first_line(e.msg()) +
                "; pass --model if it was trained with another one)");
  }
  for (const auto& p : model->named_parameters()) {
    if (p.value().sizes().vec() != expected[p.key()]) {
      throw Error(path + ": not a checkpoint of model '" + model_name + "' (parameter " + p.key() +
                  " is " + shape_text(p.value().sizes()) + ", expected " +
                  shape_text(expected[p.key()]) + "; pass --model if it was trained with another one)");
    }
  }
  model->eval();
  return model;
}

}  // namespace dptrain
