// Which GPU a rank trains on.
#pragma once

namespace dptrain {

// Makes GPU `local_rank % visible GPUs` current for this process and returns its index, so that
// the ranks of a node spread over its GPUs (and share them round-robin when there are more
// ranks than GPUs). Throws an Error naming CUDA_VISIBLE_DEVICES when no GPU is visible.
int use_gpu_of_local_rank(int local_rank);

}  // namespace dptrain
