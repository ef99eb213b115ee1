// Reading back the parameters that `dptrain train --out-dir` saved (model.pt), into a fresh
// model of the registry, for evaluation and pictures.
#pragma once

#include <torch/torch.h>

#include <string>

namespace dptrain {

// A `model_name` model with the parameters stored at `path`, in evaluation mode. Throws
// dptrain::Error naming `path` for a missing or unreadable file and for a checkpoint of
// another model (missing parameters, or parameters of other shapes).
torch::nn::Sequential load_model(const std::string& model_name, const std::string& path);

// The model itself when it lives on the CPU, else a copy of it there: what is saved, so that
// a model trained on a GPU loads in any build of dptrain.
torch::nn::Sequential cpu_copy(const torch::nn::Sequential& model);

}  // namespace dptrain
