// Where ranks may run: the CPU lists they report, and the warning when a node's ranks are bound
// so that they share CPUs, or a rank has fewer CPUs than threads.
#include <gtest/gtest.h>

#include <sched.h>

#include <string>
#include <vector>

#include "dptrain/error.h"
#include "dptrain/train/cpu_binding.h"

namespace dptrain {
namespace {

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

RankCpus on(const std::string& node, int online, std::vector<int> cpus) {
  return {node, online, std::move(cpus)};
}

std::vector<int> range(int first, int last) {
  std::vector<int> cpus;
  for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  return cpus;
}

TEST(CpuBinding, ListsCpusAsRangesAndReadsThemBack) {
  EXPECT_EQ(cpu_list_text({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(cpu_list_text({5}), "5");
  const RankCpus r = parse_rank_cpus("node7 192 0-3,8,10-11");
  EXPECT_EQ(r.node, "node7");
  EXPECT_EQ(r.online, 192);
  EXPECT_EQ(r.cpus, (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  for (const char* bad : {"node7 192", "node7 0 1", "node7 4 3-1", "node7 4 1-2x", "node7 4 a"}) {
    EXPECT_THROW(parse_rank_cpus(bad), Error) << bad;
  }
}

TEST(CpuBinding, DescribesTheCpusThisThreadMayUse) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const RankCpus r = parse_rank_cpus(describe_this_rank_cpus());
  EXPECT_EQ(static_cast<int>(r.cpus.size()), CPU_COUNT(&set));
  EXPECT_GE(r.online, static_cast<int>(r.cpus.size()));
  for (int cpu : r.cpus) EXPECT_TRUE(CPU_ISSET(cpu, &set)) << cpu;
}

TEST(CpuBinding, NoWarningForUnboundRanksOrRanksWithCoresOfTheirOwn) {
  // Nothing bound (the oversubscription warning speaks when ranks outnumber the cores).
  EXPECT_EQ(cpu_binding_warning({on("n1", 2, {0, 1}), on("n1", 2, {0, 1})}, 1, false), "");
  EXPECT_EQ(cpu_binding_warning({on("n1", 2, {0, 1}), on("n1", 2, {0, 1}), on("n1", 2, {0, 1})}, 1, false), "");
  // srun --cpu-bind=cores with 8 threads each, OpenMP binding each rank's threads in its cores.
  std::vector<RankCpus> srun;
  for (int r = 0; r < 24; ++r) srun.push_back(on("n1", 192, {8 * r}));
  EXPECT_EQ(cpu_binding_warning(srun, 8, true), "");
  // The same without OpenMP binding: each rank sees its 8 cores.
  srun.clear();
  for (int r = 0; r < 24; ++r) srun.push_back(on("n1", 192, range(8 * r, 8 * r + 7)));
  EXPECT_EQ(cpu_binding_warning(srun, 8, false), "");
  // Two nodes whose CPUs carry the same numbers.
  EXPECT_EQ(cpu_binding_warning({on("n1", 2, {0}), on("n2", 2, {0})}, 1, true), "");
}

TEST(CpuBinding, WarnsWhenOpenMpStacksTheRanksOfANodeOnItsFirstCore) {
  const std::string warning =
      cpu_binding_warning({on("n1", 2, {0}), on("n1", 2, {1}), on("n2", 2, {0}), on("n2", 2, {0})}, 1, true);
  EXPECT_TRUE(mentions(warning, "the 2 ranks on n2 are bound to 1 CPU (0) between them")) << warning;
  EXPECT_TRUE(mentions(warning, "OMP_PROC_BIND")) << warning;
  EXPECT_TRUE(mentions(warning, "srun --cpu-bind=cores")) << warning;
  // mpirun --bind-to socket: every rank's first core is the socket's first.
  std::vector<RankCpus> socket(48, on("big", 192, {0}));
  for (int r = 24; r < 48; ++r) socket[r].cpus = {96};
  EXPECT_TRUE(mentions(cpu_binding_warning(socket, 4, true), "the 48 ranks on big are bound to 2 CPUs (0,96)"));
}

TEST(CpuBinding, WarnsWhenARankHasFewerCpusThanThreads) {
  // srun without --cpus-per-task binds each rank to one core.
  const std::string warning = cpu_binding_warning({on("n1", 192, {0}), on("n1", 192, {1})}, 8, false);
  EXPECT_TRUE(mentions(warning, "rank 0 on n1 may run on 1 CPU (0) but has 8 threads")) << warning;
  EXPECT_TRUE(mentions(warning, "srun --cpus-per-task=8")) << warning;
  EXPECT_TRUE(mentions(warning, "--threads 1")) << warning;
  // With OpenMP binding the training thread is bound to one core by design.
  EXPECT_EQ(cpu_binding_warning({on("n1", 192, {0}), on("n1", 192, {8})}, 8, true), "");
}

}  // namespace
}  // namespace dptrain
