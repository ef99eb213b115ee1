#include "dptrain/train/predict.h"

#include "dptrain/train/batcher.h"

namespace dptrain {

std::vector<int> predict(torch::nn::Sequential& model, const Shard& shard) {
  constexpr std::int64_t kBatch = 1000;  // no gradients to keep: large batches are cheapest
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  Batcher batcher(shard, kBatch);
  std::vector<int> predicted;
  predicted.reserve(static_cast<std::size_t>(shard.count));
  for (std::int64_t step = 0; step * kBatch < shard.count; ++step) {
    const torch::Tensor classes =
        model->forward(batcher.batch(step).images).argmax(1).to(torch::kInt32).contiguous();
    const int* first = classes.data_ptr<int>();
    predicted.insert(predicted.end(), first, first + classes.numel());
  }
  model->train(was_training);
  return predicted;
}

}  // namespace dptrain
