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

}  // namespace
}  // namespace dptrain
