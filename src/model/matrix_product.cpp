#include "dptrain/model/matrix_product.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#ifdef DPTRAIN_WITH_ONEDNN
#include <dnnl.h>
#endif

namespace dptrain {
namespace {

// How a row-major BLAS reads a matrix in place: 'N' with its rows contiguous, 'T' as the
// transpose of a row-major matrix (a .t() view), 0 for strides it cannot read.
char layout_of(const at::Tensor& m) {
  if (m.stride(1) == 1 && m.stride(0) >= std::max<std::int64_t>(1, m.size(1))) return 'N';
  if (m.stride(0) == 1 && m.stride(1) >= std::max<std::int64_t>(1, m.size(0))) return 'T';
  return 0;
}

bool is_float_cpu_matrix(const at::Tensor& m) {
  return m.defined() && m.device().is_cpu() && m.scalar_type() == at::kFloat && m.dim() == 2 &&
         !m.is_neg() && m.numel() > 0;
}

// Whether `bias` is a float CPU vector of `length`, to add to every row of a product.
bool is_float_cpu_row(const at::Tensor& bias, std::int64_t length) {
  return bias.defined() && bias.device().is_cpu() && bias.scalar_type() == at::kFloat &&
         bias.dim() == 1 && bias.size(0) == length;
}

// Whether oneDNN can read a · b as they are. (A fresh output is always contiguous.)
bool onednn_reads(const at::Tensor& a, const at::Tensor& b) {
  return matrix_products_use_onednn() && is_float_cpu_matrix(a) && is_float_cpu_matrix(b) &&
         a.size(1) == b.size(0) && layout_of(a) != 0 && layout_of(b) != 0;
}

#ifdef DPTRAIN_WITH_ONEDNN
std::int64_t leading_dimension(const at::Tensor& m) {
  return layout_of(m) == 'N' ? m.stride(0) : m.stride(1);
}

// out = a · b + beta · out, by oneDNN, for a and b it reads and a contiguous `out`.
void onednn_sgemm(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, float beta) {
  const dnnl_status_t status =
      dnnl_sgemm(layout_of(a), layout_of(b), a.size(0), b.size(1), a.size(1), 1.0f, a.data_ptr<float>(),
                 leading_dimension(a), b.data_ptr<float>(), leading_dimension(b), beta,
                 out.data_ptr<float>(), out.stride(0));
  // It checks its arguments before it writes: a failure leaves `out` as it was.
  if (status != dnnl_success) {
    throw std::runtime_error("oneDNN sgemm failed with status " + std::to_string(status));
  }
}
#else
void onednn_sgemm(const at::Tensor&, const at::Tensor&, const at::Tensor&, float) {
  throw std::logic_error("oneDNN sgemm called in a build without oneDNN");
}
#endif

}  // namespace

bool matrix_products_use_onednn() {
#ifdef DPTRAIN_WITH_ONEDNN
  return true;
#else
  return false;
#endif
}

void matrix_product_into(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b) {
  TORCH_CHECK(out.dim() == 2 && out.size(0) == a.size(0) && out.size(1) == b.size(1),
              "matrix_product_into: output of shape ", out.sizes(), " for ", a.sizes(), " x ", b.sizes());
  if (onednn_reads(a, b) && is_float_cpu_matrix(out) && out.is_contiguous()) {
    onednn_sgemm(out, a, b, 0.0f);
    return;
  }
  at::Tensor target = out;  // a handle to the same memory, for LibTorch's non-const signature
  at::mm_out(target, a, b);
}

at::Tensor matrix_product(const at::Tensor& a, const at::Tensor& b) {
  if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(0)) return a.mm(b);  // LibTorch's error
  at::Tensor out = at::empty({a.size(0), b.size(1)}, a.options());
  matrix_product_into(out, a, b);
  return out;
}

at::Tensor linear_forward(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  const at::Tensor weight_t = weight.dim() == 2 ? weight.t() : weight;
  if (!onednn_reads(input, weight_t) || !is_float_cpu_row(bias, weight_t.size(1))) {
    return at::linear(input, weight, bias);
  }
  // As LibTorch's addmm: the bias in every row, then the product added to it.
  at::Tensor out = at::empty({input.size(0), weight_t.size(1)}, input.options());
  out.copy_(bias.expand_as(out));
  onednn_sgemm(out, input, weight_t, 1.0f);
  return out;
}

}  // namespace dptrain
