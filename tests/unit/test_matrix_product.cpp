// matrix_product.h against LibTorch's own products, for every way a matrix can lie in memory.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "dptrain/model/matrix_product.h"

namespace dptrain {
namespace {

// oneDNN and OpenBLAS sum in different orders: the same values to float rounding, which over
// hundreds of terms reaches ~1e-6 of the largest result (a wrong product is off by ~all of it).
void expect_close(const torch::Tensor& mine, const torch::Tensor& reference, const std::string& what) {
  ASSERT_EQ(mine.sizes(), reference.sizes()) << what;
  if (reference.numel() == 0) return;
  const float largest_difference = (mine - reference).abs().max().item<float>();
  const float scale = 1.0f + reference.abs().max().item<float>();
  EXPECT_LE(largest_difference, 1e-5f * scale) << what;
}

// A [rows, cols] matrix whose rows (or, transposed, columns) lie further apart than their
// length, as a slice of a wider matrix does.
torch::Tensor matrix(std::int64_t rows, std::int64_t cols, bool transposed, std::int64_t padding) {
  if (transposed) return torch::randn({cols, rows + padding}).narrow(1, 0, rows).t();
  return torch::randn({rows, cols + padding}).narrow(1, padding, cols);
}

TEST(MatrixProduct, EqualsLibTorchsForEveryLayout) {
  torch::manual_seed(1);
  // The quickstart's shapes (batch 64, 784 -> 512 -> 512 -> 10), odd ones, and a batch of 1.
  const std::vector<std::array<std::int64_t, 3>> shapes = {
      {64, 784, 512}, {64, 512, 10}, {512, 64, 784}, {7, 13, 5}, {1, 37, 11}, {11, 1, 3}};
  for (const auto& [m, k, n] : shapes) {
    for (bool a_transposed : {false, true}) {
      for (bool b_transposed : {false, true}) {
        for (std::int64_t padding : {0, 3}) {
          const torch::Tensor a = matrix(m, k, a_transposed, padding);
          const torch::Tensor b = matrix(k, n, b_transposed, padding);
          const std::string what = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) +
                                   (a_transposed ? " aT" : " a") + (b_transposed ? " bT" : " b") +
                                   " padding " + std::to_string(padding);
          expect_close(matrix_product(a, b), a.mm(b), what);
          torch::Tensor out = torch::full({m, n}, 7.0f);
          const void* memory = out.data_ptr();
          matrix_product_into(out, a, b);
          EXPECT_EQ(out.data_ptr(), memory) << what;
          expect_close(out, a.mm(b), what + " into");
        }
      }
    }
  }
}

TEST(MatrixProduct, TakesLibTorchsPathForWhatOneDnnCannotRead) {
  torch::manual_seed(2);
  // Every other row and column: no leading dimension describes it.
  const torch::Tensor strided = torch::randn({14, 10}).slice(0, 0, 14, 2).slice(1, 0, 10, 2);
  const torch::Tensor b = torch::randn({5, 3});
  expect_close(matrix_product(strided, b), strided.contiguous().mm(b), "strided");
  // Doubles and broadcast (stride 0) rows: LibTorch's products, bit for bit.
  const torch::Tensor a64 = torch::randn({4, 5}, torch::kDouble);
  const torch::Tensor b64 = torch::randn({5, 3}, torch::kDouble);
  EXPECT_TRUE(torch::equal(matrix_product(a64, b64), a64.mm(b64)));
  const torch::Tensor broadcast = torch::randn({1, 5}).expand({4, 5});
  EXPECT_TRUE(torch::equal(matrix_product(broadcast, b), broadcast.mm(b)));
  // Empty inner dimension: zeros, as LibTorch gives.
  EXPECT_TRUE(torch::equal(matrix_product(torch::ones({2, 0}), torch::ones({0, 3})), torch::zeros({2, 3})));
}

TEST(MatrixProduct, RejectsAnOutputOfTheWrongShape) {
  torch::Tensor out = torch::zeros({3, 3});
  EXPECT_THROW(matrix_product_into(out, torch::ones({2, 4}), torch::ones({4, 3})), c10::Error);
  EXPECT_THROW(matrix_product(torch::ones({2, 4}), torch::ones({5, 3})), c10::Error);
}

TEST(MatrixProduct, LinearForwardEqualsLibTorchsLinear) {
  torch::manual_seed(3);
  for (std::int64_t batch : {64, 33, 1}) {
    const torch::Tensor input = torch::randn({batch, 784});
    const torch::Tensor weight = torch::randn({512, 784}) / 28;
    const torch::Tensor bias = torch::randn({512});
    expect_close(linear_forward(input, weight, bias), torch::nn::functional::linear(input, weight, bias),
                 "batch " + std::to_string(batch));
  }
  // A batch that is a transposed view, and no bias: LibTorch's linear takes what it is given.
  const torch::Tensor input = torch::randn({20, 6}).t();
  const torch::Tensor weight = torch::randn({4, 20});
  expect_close(linear_forward(input, weight, torch::zeros({4})), input.mm(weight.t()), "transposed batch");
  EXPECT_TRUE(torch::equal(linear_forward(input, weight, torch::Tensor()),
                           torch::nn::functional::linear(input, weight)));
}

// With several threads the products are the same values, and the same bits from run to run.
TEST(MatrixProduct, SeveralThreadsGiveTheSameBitsEachTime) {
  torch::manual_seed(4);
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(2);
  const torch::Tensor a = torch::randn({64, 784});
  const torch::Tensor b = torch::randn({784, 512});
  const torch::Tensor first = matrix_product(a, b);
  EXPECT_TRUE(torch::equal(matrix_product(a, b), first));
  torch::set_num_threads(threads_before);
  expect_close(first, a.mm(b), "2 threads");
}

}  // namespace
}  // namespace dptrain
