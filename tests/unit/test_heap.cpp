// Large blocks kept in the heap for reuse, instead of mapped afresh every step.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

#include "dptrain/train/heap.h"

namespace dptrain {
namespace {

TEST(Heap, ReusesAFreedLargeBlockWithoutFreshPages) {
  // 48 MiB is beyond glibc's own adaptive limit: by default every such block is mapped afresh
  // (12 288 page faults each time it is written); kept in the heap, the second one reuses the first.
  constexpr std::size_t kBytes = 48u << 20;
  const auto write_block = [] {
    char* volatile block = static_cast<char*>(std::malloc(kBytes));
    ASSERT_NE(block, nullptr);
    std::memset(block, 1, kBytes);
    std::free(block);
  };
  const auto page_faults = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
  };
  keep_freed_memory_for_reuse();
  write_block();
  const long before = page_faults();
  write_block();
  EXPECT_LT(page_faults() - before, 1000);
}

}  // namespace
}  // namespace dptrain
