#include "dptrain/train/evaluate.h"

#include "dptrain/train/batcher.h"

namespace dptrain {

Evaluation evaluate(torch::nn::Sequential& model, const Shard& shard, Communicator& comm) {
  // Larger batches than training: evaluation has no gradients to fit in cache.
  constexpr std::int64_t kEvalBatch = 1000;
  torch::NoGradGuard no_grad;
  model->eval();
  Batcher batcher(shard, kEvalBatch);
  double totals[3] = {0.0, 0.0, 0.0};  // loss sum, correct, samples
  for (std::int64_t step = 0; step * kEvalBatch < shard.count; ++step) {
    const Batch batch = batcher.batch(step);
    const torch::Tensor logits = model->forward(batch.images);
    totals[0] += torch::nn::functional::cross_entropy(
                     logits, batch.labels,
                     torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                     .item<double>();
    totals[1] += logits.argmax(1).eq(batch.labels).sum().item<double>();
    totals[2] += static_cast<double>(batch.size());
  }
  model->train();
  comm.allreduce_sum(totals, 3);
  Evaluation result;
  result.samples = static_cast<std::int64_t>(totals[2]);
  if (result.samples > 0) {
    result.loss = totals[0] / totals[2];
    result.accuracy = totals[1] / totals[2];
  }
  return result;
}

}  // namespace dptrain
