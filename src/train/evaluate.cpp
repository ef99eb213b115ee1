#include "dptrain/train/evaluate.h"

#include "dptrain/train/batcher.h"

namespace dptrain {

Evaluation evaluate(torch::nn::Sequential& model, const Shard& shard, Communicator& comm) {
  // Larger batches than training: evaluation has no gradients to fit in cache.
  constexpr std::int64_t kEvalBatch = 1000;
  torch::NoGradGuard no_grad;
  model->eval();
  // Where the model is; on a GPU the sums stay there until the end, so nothing waits per batch.
  const torch::Device device = model->parameters().front().device();
  Batcher batcher(shard, kEvalBatch, device);
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
  for (std::int64_t step = 0; step * kEvalBatch < shard.count; ++step) {
    const Batch batch = batcher.batch(step);
    const torch::Tensor logits = model->forward(batch.images);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, batch.labels,
                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kDouble);
    correct += logits.argmax(1).eq(batch.labels).sum();
  }
  model->train();
  double totals[3] = {loss_sum.item<double>(), correct.item<double>(),
                      static_cast<double>(shard.count)};  // loss sum, correct, samples
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
