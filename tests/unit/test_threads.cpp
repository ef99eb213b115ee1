// Thread layout: the cores of the node, and the warning when ranks x threads exceed them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "dptrain/train/threads.h"

namespace dptrain {
namespace {

TEST(Threads, WarnsOnlyWhenRanksTimesThreadsExceedCores) {
  EXPECT_EQ(oversubscription_warning(2, 1, 2), "");
  EXPECT_EQ(oversubscription_warning(48, 4, 192), "");
  const std::string warning = oversubscription_warning(2, 2, 2);
  EXPECT_NE(warning.find("2 ranks x 2 threads on a node with 2 cores"), std::string::npos);
  EXPECT_NE(warning.find("--threads 1"), std::string::npos);
  EXPECT_NE(oversubscription_warning(192, 2, 192).find("--threads 1"), std::string::npos);
}

TEST(Threads, CountsTheCoresSlurmGaveTheJobOnTheNode) {
  const char* before = std::getenv("SLURM_CPUS_ON_NODE");
  const std::string saved = before ? before : "";
  unsetenv("SLURM_CPUS_ON_NODE");
  const int all = node_core_count();
  EXPECT_GE(all, 1);
  setenv("SLURM_CPUS_ON_NODE", "24", 1);
  EXPECT_EQ(node_core_count(), 24);
  setenv("SLURM_CPUS_ON_NODE", "none", 1);
  EXPECT_EQ(node_core_count(), all);
  if (before) {
    setenv("SLURM_CPUS_ON_NODE", saved.c_str(), 1);
  } else {
    unsetenv("SLURM_CPUS_ON_NODE");
  }
}

// SLURM_CPUS_PER_TASK before OMP_NUM_THREADS; OpenMP's list for nested levels gives its first
// number; what is not a whole number counts as not set, rather than as its leading digits.
TEST(Threads, TakesTheDefaultFromWholeNumbersOnly) {
  const char* names[] = {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"};
  std::string saved[2];
  bool had[2];
  for (int i = 0; i < 2; ++i) {
    const char* value = std::getenv(names[i]);
    had[i] = value != nullptr;
    saved[i] = value ? value : "";
    unsetenv(names[i]);
  }
  EXPECT_EQ(default_thread_count(), 1);
  EXPECT_EQ(default_thread_source(), "");
  setenv("OMP_NUM_THREADS", "4,2", 1);
  EXPECT_EQ(default_thread_count(), 4);
  EXPECT_EQ(default_thread_source(), "OMP_NUM_THREADS=4,2");
  setenv("SLURM_CPUS_PER_TASK", "1e3", 1);
  EXPECT_EQ(default_thread_count(), 4) << "1e3 is not a whole number";
  setenv("SLURM_CPUS_PER_TASK", "8", 1);
  EXPECT_EQ(default_thread_count(), 8);
  EXPECT_EQ(default_thread_source(), "SLURM_CPUS_PER_TASK=8");
  for (int i = 0; i < 2; ++i) {
    if (had[i]) {
      setenv(names[i], saved[i].c_str(), 1);
    } else {
      unsetenv(names[i]);
    }
  }
}

}  // namespace
}  // namespace dptrain
