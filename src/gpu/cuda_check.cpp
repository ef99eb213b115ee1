#include "dptrain/gpu/cuda_check.h"

#include "dptrain/error.h"

namespace dptrain {

void check_cuda(cudaError_t status, const std::string& call) {
  if (status == cudaSuccess) return;
  // Reading the error clears it, so the next call does not report this one again.
  cudaGetLastError();
  throw Error("CUDA error in " + call + ": " + cudaGetErrorString(status));
}

void check_nccl(ncclResult_t status, const std::string& call) {
  if (status == ncclSuccess) return;
  std::string text = "NCCL error in " + call + ": " + ncclGetErrorString(status);
  if (status == ncclInvalidUsage) {
    // The usual cause in practice: two ranks of one job on the same GPU.
    text += " (NCCL needs one GPU per rank; ranks sharing a GPU must use --backend mpi)";
  }
  throw Error(text);
}

}  // namespace dptrain
