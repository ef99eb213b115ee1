#include "dptrain/gpu/nccl_averager.h"

#include "dptrain/gpu/cuda_check.h"

namespace dptrain {

NcclAverager::NcclAverager(Communicator& comm, int device) : ranks_(comm.size()) {
  ncclUniqueId id{};
  if (comm.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  comm.broadcast_bytes(&id, sizeof id, 0);
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  check_nccl(ncclCommInitRank(&comm_, comm.size(), id, comm.rank()), "ncclCommInitRank");
  // Non-blocking: the stream must not wait for, nor be waited on by, the legacy default stream;
  // the events below are its only ordering.
  check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  check_cuda(cudaEventCreateWithFlags(&computed_, cudaEventDisableTiming), "cudaEventCreate");
  check_cuda(cudaEventCreateWithFlags(&averaged_, cudaEventDisableTiming), "cudaEventCreate");
}

NcclAverager::~NcclAverager() {
  // Nothing can be reported from a destructor; queued averages finish before the teardown.
  if (stream_) cudaStreamSynchronize(stream_);
  if (comm_) ncclCommDestroy(comm_);
  if (computed_) cudaEventDestroy(computed_);
  if (averaged_) cudaEventDestroy(averaged_);
  if (stream_) cudaStreamDestroy(stream_);
}

void NcclAverager::average_after(float* data, std::size_t count, cudaStream_t compute) {
  // cudaStreamWaitEvent takes the event as recorded at this moment, so one event serves every
  // bucket in turn.
  check_cuda(cudaEventRecord(computed_, compute), "cudaEventRecord");
  check_cuda(cudaStreamWaitEvent(stream_, computed_, 0), "cudaStreamWaitEvent");
  check_nccl(ncclAllReduce(data, data, count, ncclFloat, ncclAvg, comm_, stream_), "ncclAllReduce");
}

void NcclAverager::join(cudaStream_t compute) {
  check_cuda(cudaEventRecord(averaged_, stream_), "cudaEventRecord");
  check_cuda(cudaStreamWaitEvent(compute, averaged_, 0), "cudaStreamWaitEvent");
}

}  // namespace dptrain
