#include "dptrain/gpu/cuda_device.h"

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <string>

#include "dptrain/error.h"
#include "dptrain/gpu/cuda_check.h"

namespace dptrain {
namespace {

std::string visible_devices_note() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (!visible) return "CUDA_VISIBLE_DEVICES is not set";
  return std::string("CUDA_VISIBLE_DEVICES='") + visible + "'";
}

}  // namespace

int use_gpu_of_local_rank(int local_rank) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw Error(std::string("--device cuda: no CUDA device is visible (") +
                (status != cudaSuccess ? cudaGetErrorString(status) : "0 devices") + "; " +
                visible_devices_note() + "); on Slurm ask for GPUs with --gpus-per-node");
  }
  const int device = local_rank % count;
  check_cuda(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
  return device;
}

}  // namespace dptrain
