// Matrix products of dptrain's layers.
//
// LibTorch hands float products on the CPU to the BLAS it was built with: on Debian, OpenBLAS.
// oneDNN's sgemm, which LibTorch already loads for its other kernels, serves dptrain better
// twice over. For the quickstart's shapes (a batch of 64 against 512x784 and 512x512 weights)
// it is faster on AVX-512 cores (1-thread epochs ~8 % faster). And it runs on LibTorch's own
// OpenMP threads, where OpenBLAS runs a pool of its own beside them: with --threads 2,
// LibTorch's threads, spinning between parallel regions (libgomp's default), took the cores
// OpenBLAS's threads needed, and epochs ran ~6x slower than with oneDNN.
//
// Where the build found oneDNN (DPTRAIN_WITH_ONEDNN), float matrices on the CPU go through it;
// everything else (GPU tensors, other types, strides oneDNN cannot read) through LibTorch. The
// two libraries sum in different orders: their results agree to rounding, not bit for bit.
// Within one build every product of one shape takes one path, so runs stay reproducible.
// oneDNN's kernels move the stack pointer into the heap while they run: no signal handler may
// run on a thread that multiplies (src/train/stop_signals.cpp keeps the stop signals off them).
#pragma once

#include <ATen/core/Tensor.h>

namespace dptrain {

// a · b for matrices a [m, k] and b [k, n].
at::Tensor matrix_product(const at::Tensor& a, const at::Tensor& b);
// a · b written into `out` [m, n], which must not overlap a or b.
void matrix_product_into(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b);
// input · weightᵀ + bias for a batch of vectors, as torch::nn::functional::linear computes it.
at::Tensor linear_forward(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias);

// Whether this build sends float CPU products to oneDNN.
bool matrix_products_use_onednn();

}  // namespace dptrain
