// Training on a GPU (ctest -L gpu, on a machine with one): batches sliced on the GPU, NCCL
// averaging with one rank, CUDA-graph steps against eager steps (also with NCCL buckets in the
// graph), a GPU epoch against a CPU epoch, and saved models that any build can read.
#include <gtest/gtest.h>

#include <ATen/cuda/Sleep.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <filesystem>
#include <vector>

#include "../support/small_config.h"
#include "../support/synthetic.h"
#include "../support/union_gradient.h"
#include "dptrain/comm/gradient_sync.h"
#include "dptrain/gpu/cuda_check.h"
#include "dptrain/gpu/cuda_training.h"
#include "dptrain/gpu/nccl_averager.h"
#include "dptrain/model/checkpoint.h"
#include "dptrain/model/registry.h"
#include "dptrain/train/batcher.h"
#include "dptrain/train/trainer.h"

namespace dptrain {
namespace {

const torch::Device kGpu(torch::kCUDA, 0);

TrainConfig gpu_config() {
  TrainConfig c = testing::small_config();
  c.batch_size = 8;
  c.epochs = 1;
  c.device = "cuda";
  return c;
}

using testing::flat_cpu;
using testing::gradients;

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// The same samples in the same order. The values may differ in the last bit: on a GPU LibTorch
// divides by a host scalar as a product with its reciprocal (x * (1/255) rather than x / 255).
TEST(CudaBatcher, BatchesOnTheGpuEqualThoseOnTheCpu) {
  const Shard shard = testing::synthetic_shard({0, 37});
  Batcher on_cpu(shard, 8);
  Batcher on_gpu(shard, 8, kGpu);
  for (bool shuffle : {false, true}) {
    on_cpu.start_epoch(shuffle, 3, 1);
    on_gpu.start_epoch(shuffle, 3, 1);
    for (std::int64_t step = 0; step < 5; ++step) {
      const Batch a = on_cpu.batch(step);
      const Batch b = on_gpu.batch(step);
      ASSERT_TRUE(b.images.is_cuda());
      // One float step near 1.0 is 6e-8; a wrong sample or order differs by ~1/255 or more.
      EXPECT_LE(max_difference(a.images, b.images.cpu()), 1.2e-7) << "step " << step;
      EXPECT_TRUE(torch::equal(a.labels, b.labels.cpu())) << "step " << step;
    }
  }
}

// Whether everything queued on `stream` has run.
bool finished(cudaStream_t stream) {
  const cudaError_t state = cudaStreamQuery(stream);
  if (state != cudaErrorNotReady) check_cuda(state, "cudaStreamQuery");
  return state == cudaSuccess;
}

// A kernel that keeps its stream busy for about half a second (at::cuda::sleep spins).
void occupy(cudaStream_t stream) {
  c10::cuda::CUDAStreamGuard on(c10::cuda::getStreamFromExternal(stream, 0));
  at::cuda::sleep(1'000'000'000);
}

// One rank's average leaves the values as they are, so the average cannot show the order; the
// streams do. While the compute stream is busy, an average queued behind it must not have run.
// And compute work queued after join() must follow what the averaging stream did before it: a
// busy averaging stream writes the data last, so the compute stream's product shows the order.
TEST(NcclAverager, AveragesWaitForComputeAndComputeAfterJoinWaitsForThem) {
  SingleRankCommunicator alone;
  NcclAverager averager(alone, 0);
  torch::Tensor data = torch::full({1 << 20}, 2.5f, torch::TensorOptions().device(kGpu));
  const cudaStream_t compute = c10::cuda::getCurrentCUDAStream(0).stream();
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");

  occupy(compute);
  averager.average_after(data.data_ptr<float>(), static_cast<std::size_t>(data.numel()), compute);
  EXPECT_FALSE(finished(averager.stream())) << "the average did not wait for the compute stream";
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");

  occupy(averager.stream());
  {
    c10::cuda::CUDAStreamGuard on(c10::cuda::getStreamFromExternal(averager.stream(), 0));
    data.fill_(7.0f);
  }
  EXPECT_FALSE(finished(averager.stream())) << "the averaging stream is not busy: no order to see";
  averager.join(compute);
  data.mul_(2.0);  // on the compute stream
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  EXPECT_TRUE(torch::equal(data.cpu(), torch::full({1 << 20}, 14.0f)))
      << "work queued after join() did not wait for the averaging stream";
}

TEST(NcclTransport, OneRankGradientsEqualPlainLibTorchGradients) {
  SingleRankCommunicator alone;
  torch::manual_seed(1);
  torch::nn::Sequential model = make_model("quickstart-mlp");
  model->to(kGpu);
  torch::manual_seed(1);
  torch::nn::Sequential plain = make_model("quickstart-mlp");
  plain->to(kGpu);
  GradientSyncOptions options;
  options.bucket_bytes = 256u << 10;  // several buckets
  GradientSync sync(model->parameters(), make_nccl_transport(alone, kGpu), options);
  EXPECT_TRUE(sync.averages());
  EXPECT_TRUE(sync.overlapping());
  EXPECT_GE(sync.bucket_count(), 2u);

  const Batch batch = Batcher(testing::synthetic_shard({0, 64}), 64, kGpu).batch(0);
  sync.zero_grad();
  torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
  sync.finish();
  torch::nn::functional::cross_entropy(plain->forward(batch.images), batch.labels).backward();
  EXPECT_GE(sync.launched_during_backward(), 1u) << "no bucket was launched during backward";
  const torch::Tensor averaged = flat_cpu(gradients(model->parameters()));
  const torch::Tensor expected = flat_cpu(gradients(plain->parameters()));
  EXPECT_TRUE(torch::equal(averaged, expected)) << "max difference " << max_difference(averaged, expected);
}

TEST(CudaGraphs, GraphStepsGiveTheParametersOfEagerSteps) {
  const std::int64_t samples = 8 * 12 + 3;  // 12 full steps and a partial one per epoch
  const Shard train = testing::synthetic_shard({0, samples});
  const Shard test = testing::synthetic_shard({0, 16});
  SingleRankCommunicator alone;
  std::vector<torch::Tensor> results;
  for (const std::string graphs : {"on", "off"}) {
    TrainConfig config = gpu_config();
    config.cuda_graphs = graphs;
    config.epochs = 2;
    Trainer trainer(config, alone, train, samples, test);
    trainer.run(nullptr);
    // Every full step but the warm-ups is a replay; the partial steps run eagerly.
    EXPECT_EQ(trainer.graph_steps(), graphs == "on" ? 2 * 12 - 3 : 0);
    results.push_back(flat_cpu(trainer.parameters()));
  }
  std::cout << "graph vs eager parameters: "
            << (torch::equal(results[0], results[1]) ? "bit-identical" : "not bit-identical")
            << ", max difference " << max_difference(results[0], results[1]) << std::endl;
  EXPECT_TRUE(torch::allclose(results[0], results[1], 1e-5, 1e-7))
      << "max difference " << max_difference(results[0], results[1]);
}

TEST(CudaGraphs, StepsWithNcclBucketsAreCapturedWhole) {
  // What a multi-GPU run captures (one rank has no buckets in the trainer): accumulators made
  // when GradientSync installs its hooks, NCCL averages launched from those hooks, the update.
  // One rank here, so that one GPU suffices. 3 warm-ups and 5 replays must give the parameters
  // of 8 eager steps.
  SingleRankCommunicator alone;
  const Batch batch = Batcher(testing::synthetic_shard({0, 64}), 64, kGpu).batch(0);
  std::vector<torch::Tensor> results;
  for (bool graph : {true, false}) {
    const auto stream = use_training_stream(kGpu);
    torch::manual_seed(3);
    torch::nn::Sequential model = make_model("quickstart-mlp");
    model->to(kGpu);
    std::vector<torch::Tensor> parameters = model->parameters();
    GradientSyncOptions options;
    options.bucket_bytes = 256u << 10;  // several buckets: all but the last launched from hooks
    GradientSync sync(parameters, make_nccl_transport(alone, kGpu), options);
    const auto step = [&] {
      sync.zero_grad();
      torch::nn::functional::cross_entropy(model->forward(batch.images), batch.labels).backward();
      sync.finish();
      torch::NoGradGuard no_grad;
      for (auto& p : parameters) p.add_(p.grad(), -0.1);
    };
    auto step_graph = make_step_graph(kGpu);
    for (int i = 0; i < 3; ++i) step_graph->warm_up(step);
    if (graph) {
      step_graph->capture(step);
      for (int i = 0; i < 5; ++i) step_graph->replay();
    } else {
      for (int i = 0; i < 5; ++i) step();
    }
    EXPECT_GE(sync.bucket_count(), 3u);
    results.push_back(flat_cpu(parameters));
  }
  EXPECT_TRUE(torch::allclose(results[0], results[1], 1e-5, 1e-7))
      << "max difference " << max_difference(results[0], results[1]);
}

TEST(CudaTraining, AnEpochOnTheGpuMatchesOneOnTheCpu) {
  const std::int64_t samples = 8 * 20 + 5;
  const Shard train = testing::synthetic_shard({0, samples});
  const Shard test = testing::synthetic_shard({0, 50});
  SingleRankCommunicator alone;
  std::vector<torch::Tensor> results;
  std::vector<double> losses;
  for (const char* device : {"cuda", "cpu"}) {
    TrainConfig config = gpu_config();
    config.device = device;
    Trainer trainer(config, alone, train, samples, test);
    EXPECT_EQ(trainer.device().is_cuda(), std::string(device) == "cuda");
    losses.push_back(trainer.run(nullptr).final_test_loss);
    results.push_back(flat_cpu(trainer.parameters()));
  }
  EXPECT_TRUE(torch::allclose(results[0], results[1], 1e-4, 1e-5))
      << "max difference " << max_difference(results[0], results[1]);
  EXPECT_NEAR(losses[0], losses[1], 1e-4 * losses[1]);
}

// The test's folder, removed without std::filesystem::remove_all: PyTorch's pip wheels export
// from libtorch_cpu.so a copy of an older libstdc++'s std::filesystem, and remove_all's
// recursive iterator, half this compiler's inline code and half that copy, crashed (GCC 13,
// PyTorch 2.11). One level of folders is all the test writes.
void remove_test_folder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::directory_entry> entries;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) entries.push_back(entry);
  }
  std::error_code ignored;
  for (const auto& entry : entries) {
    if (entry.is_directory()) {
      remove_test_folder(entry.path());
    } else {
      std::filesystem::remove(entry.path(), ignored);
    }
  }
  std::filesystem::remove(dir, ignored);
}

TEST(CudaTraining, SavedModelsAndCheckpointsLoadOnTheCpuAndBackOnTheGpu) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "dptrain-gpu-test";
  remove_test_folder(dir);
  const std::int64_t samples = 8 * 6;
  const Shard train = testing::synthetic_shard({0, samples});
  const Shard test = testing::synthetic_shard({0, 16});
  SingleRankCommunicator alone;
  TrainConfig config = gpu_config();
  config.checkpoint_dir = (dir / "checkpoints").string();
  Trainer trainer(config, alone, train, samples, test);
  trainer.run(nullptr);
  ASSERT_FALSE(trainer.last_checkpoint().empty());
  const torch::Tensor trained = flat_cpu(trainer.parameters());

  save_model(trainer.model(), (dir / "model.pt").string());
  torch::nn::Sequential loaded = load_model("quickstart-mlp", (dir / "model.pt").string());
  EXPECT_TRUE(loaded->parameters().front().is_cpu());
  EXPECT_TRUE(torch::equal(flat_cpu(loaded->parameters()), trained));

  Trainer resumed(config, alone, train, samples, test);
  resumed.resume(trainer.last_checkpoint());
  EXPECT_TRUE(resumed.parameters().front().is_cuda());
  EXPECT_TRUE(torch::equal(flat_cpu(resumed.parameters()), trained));
  remove_test_folder(dir);
}

}  // namespace
}  // namespace dptrain
