// The class a model predicts for every sample of a shard: what evaluation pictures are made of.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dptrain/data/hdf5_dataset.h"

namespace dptrain {

// Predicted class (argmax of the logits) per sample of `shard`, in the shard's order. Throws
// dptrain::Error naming `model_file` if the model's outputs are not finite.
std::vector<int> predict(torch::nn::Sequential& model, const Shard& shard,
                         const std::string& model_file = "the model");

}  // namespace dptrain
