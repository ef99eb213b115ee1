// The class a model predicts for every sample of a shard: what evaluation pictures are made of.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "dptrain/data/hdf5_dataset.h"

namespace dptrain {

// Predicted class (argmax of the logits) per sample of `shard`, in the shard's order.
std::vector<int> predict(torch::nn::Sequential& model, const Shard& shard);

}  // namespace dptrain
