// How the process's heap treats the large buffers that training allocates and frees every step.
//
// glibc hands a large allocation its own fresh pages (mmap) and returns them when it is freed,
// so every step pays for the kernel zeroing and mapping megabytes of gradients and activations
// again: measured on the quickstart MLP, 450 000 page faults and a first epoch 30 % slower.
// (glibc raises its threshold as it sees large blocks freed, which is why later epochs are
// fast.) Keeping freed blocks in the heap costs nothing but memory that the next step reuses.
#pragma once

namespace dptrain {

// Keeps blocks up to 64 MiB in the heap and freed memory in the process, unless the user has
// tuned glibc's malloc through GLIBC_TUNABLES or MALLOC_*_ variables. Call before training.
void keep_freed_memory_for_reuse();

}  // namespace dptrain
