// Averages gradient buckets across the ranks' GPUs with NCCL, on a stream of its own.
//
// The training loop queues its kernels on a compute stream. Each average is queued on the
// communication stream behind an event recorded on the compute stream, so it starts as soon as
// the bucket's gradients are computed and runs while backward goes on with earlier layers;
// join() puts an event the other way, so the optimizer's kernels wait for the averages on the
// GPU and the host never blocks. Every call only queues work, so a whole step, averages
// included, can be recorded as one CUDA graph.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstddef>

#include "dptrain/comm/communicator.h"

namespace dptrain {

class NcclAverager {
 public:
  // Collective over `comm`: rank 0 creates the NCCL id and `comm` carries it to every rank.
  // `device` must be the current GPU.
  NcclAverager(Communicator& comm, int device);
  ~NcclAverager();
  NcclAverager(const NcclAverager&) = delete;
  NcclAverager& operator=(const NcclAverager&) = delete;

  // Once the work queued on `compute` so far is done, replaces the `count` floats at `data`
  // (GPU memory) by their mean over all ranks.
  void average_after(float* data, std::size_t count, cudaStream_t compute);

  // Makes the work queued on `compute` from now on wait for every average queued so far.
  void join(cudaStream_t compute);

  int ranks() const { return ranks_; }
  // The stream the averages run on.
  cudaStream_t stream() const { return stream_; }

 private:
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t computed_ = nullptr;   // recorded on the compute stream
  cudaEvent_t averaged_ = nullptr;   // recorded on the communication stream
  int ranks_ = 1;
};

}  // namespace dptrain
