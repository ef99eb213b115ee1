// Every CUDA runtime and NCCL call goes through these: a failure becomes a dptrain::Error that
// names the call and the library's own explanation, instead of a silent wrong answer later.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <string>

namespace dptrain {

void check_cuda(cudaError_t status, const std::string& call);
void check_nccl(ncclResult_t status, const std::string& call);

}  // namespace dptrain
