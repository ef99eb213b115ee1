#include "dptrain/train/evaluate.h"

namespace dptrain {
namespace {

// Larger batches than training: evaluation has no gradients to fit in cache.
constexpr std::int64_t kEvalBatch = 1000;

}  // namespace

Batcher test_batches(const Shard& shard, torch::Device device) {
  return Batcher(shard, kEvalBatch, device);
}

Evaluation evaluate(torch::nn::Sequential& model, const Batcher& test, Communicator& comm) {
  torch::NoGradGuard no_grad;
  model->eval();
  // On a GPU the sums stay there until the end, so nothing waits per batch.
  const torch::Device device = model->parameters().front().device();
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
  const std::int64_t samples = test.shard_size();
  for (std::int64_t step = 0, seen = 0; seen < samples; ++step) {
    const Batch batch = test.batch(step);
    seen += batch.size();
    const torch::Tensor logits = model->forward(batch.images);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, batch.labels,
                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kDouble);
    correct += logits.argmax(1).eq(batch.labels).sum();
  }
  model->train();
  double totals[3] = {loss_sum.item<double>(), correct.item<double>(),
                      static_cast<double>(samples)};  // loss sum, correct, samples
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
