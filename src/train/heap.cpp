#include "dptrain/train/heap.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace dptrain {
namespace {

// Above the largest block that glibc's own adaptive threshold reaches (32 MiB on 64-bit), and
// above the biggest per-step tensor of the models here (a test batch's activations).
constexpr int kLargestHeapBlock = 64 << 20;
// Freed memory at the top of the heap returned to the system only beyond this.
constexpr int kKeptFreeMemory = 512 << 20;

bool user_tuned_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return (tunables && std::strstr(tunables, "glibc.malloc.")) || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
         std::getenv("MALLOC_TRIM_THRESHOLD_");
}

}  // namespace

void keep_freed_memory_for_reuse() {
#ifdef M_MMAP_THRESHOLD
  if (user_tuned_malloc()) return;
  mallopt(M_MMAP_THRESHOLD, kLargestHeapBlock);
  mallopt(M_TRIM_THRESHOLD, kKeptFreeMemory);
#endif
}

}  // namespace dptrain
