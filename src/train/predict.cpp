#include "dptrain/train/predict.h"

#include "dptrain/error.h"
#include "dptrain/train/batcher.h"

namespace dptrain {

std::vector<int> predict(torch::nn::Sequential& model, const Shard& shard, const std::string& model_file) {
  constexpr std::int64_t kBatch = 1000;  // no gradients to keep: large batches are cheapest
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  Batcher batcher(shard, kBatch);
  std::vector<int> predicted;
  predicted.reserve(static_cast<std::size_t>(shard.count));
  for (std::int64_t step = 0; step * kBatch < shard.count; ++step) {
    const torch::Tensor logits = model->forward(batcher.batch(step).images);
    // The argmax of NaNs is class 0: a diverged model would score 10 % as if it were one.
    if (!torch::isfinite(logits).all().item<bool>()) {
      throw Error(model_file + ": the model's outputs are not finite (NaN or Inf): it comes from a run that diverged");
    }
    const torch::Tensor classes = logits.argmax(1).to(torch::kInt32).contiguous();
    const int* first = classes.data_ptr<int>();
    predicted.insert(predicted.end(), first, first + classes.numel());
  }
  model->train(was_training);
  return predicted;
}

}  // namespace dptrain
