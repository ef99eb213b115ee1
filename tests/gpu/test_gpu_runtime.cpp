// The CUDA/NCCL layer's failures, as a user reads them. Runs with every GPU hidden
// (CUDA_VISIBLE_DEVICES=""), so it asserts the same with or without a GPU in the machine.
#include <gtest/gtest.h>

#include "../support/error_of.h"
#include "dptrain/gpu/cuda_check.h"
#include "dptrain/gpu/cuda_device.h"

namespace dptrain {
namespace {

using testing::error_of;

TEST(CudaCheck, NamesTheCallAndCudasReason) {
  EXPECT_NO_THROW(check_cuda(cudaSuccess, "cudaMalloc"));
  const std::string message = error_of([] { check_cuda(cudaErrorMemoryAllocation, "cudaMalloc(64 MiB)"); });
  EXPECT_NE(message.find("CUDA error in cudaMalloc(64 MiB): "), std::string::npos) << message;
  EXPECT_NE(message.find(cudaGetErrorString(cudaErrorMemoryAllocation)), std::string::npos) << message;
}

TEST(CudaCheck, NcclMisuseSuggestsTheMpiBackend) {
  EXPECT_NO_THROW(check_nccl(ncclSuccess, "ncclAllReduce"));
  const std::string message = error_of([] { check_nccl(ncclInvalidUsage, "ncclCommInitRank"); });
  EXPECT_NE(message.find("NCCL error in ncclCommInitRank: "), std::string::npos) << message;
  EXPECT_NE(message.find("--backend mpi"), std::string::npos) << message;
  const std::string other = error_of([] { check_nccl(ncclSystemError, "ncclAllReduce"); });
  EXPECT_NE(other.find(ncclGetErrorString(ncclSystemError)), std::string::npos) << other;
  EXPECT_EQ(other.find("--backend mpi"), std::string::npos) << other;
}

TEST(CudaDevice, NoVisibleGpuIsOneClearError) {
  const std::string message = error_of([] { use_gpu_of_local_rank(0); });
  EXPECT_NE(message.find("--device cuda: no CUDA device is visible"), std::string::npos) << message;
  EXPECT_NE(message.find("CUDA_VISIBLE_DEVICES=''"), std::string::npos) << message;
  EXPECT_NE(message.find("--gpus-per-node"), std::string::npos) << message;
}

}  // namespace
}  // namespace dptrain
