// The collective watchdog's report when every rank of the node has arrived: in a job on one
// node no other node can be late, so a rank is stuck inside the collective, and it is said at
// once, without the head start left to another node's watchdog.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "dptrain/comm/watchdog.h"

namespace dptrain {
namespace {

// The report of a watchdog whose collective never completes, and the seconds it took.
struct Report {
  std::string text;
  double seconds = 0.0;
};

Report report_of_a_stuck_collective(bool other_nodes) {
  std::atomic<bool> aborted{false};
  testing::internal::CaptureStderr();
  const auto start = std::chrono::steady_clock::now();
  {
    CollectiveWatchdog watchdog(0.2, 0, other_nodes, [](std::int64_t) { return std::string(); },
                                [&] { aborted = true; });
    watchdog.enter("gradient allreduce");
    for (int i = 0; i < 200 && !aborted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    watchdog.leave();
  }
  Report report;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.text = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(aborted) << "the watchdog never aborted";
  return report;
}

TEST(Watchdog, OnOneNodeARankStuckInsideTheCollectiveIsReportedAsSuch) {
  const Report report = report_of_a_stuck_collective(/*other_nodes=*/false);
  EXPECT_NE(report.text.find("rank 0: gradient allreduce #1 has waited"), std::string::npos) << report.text;
  EXPECT_NE(report.text.find("every rank has arrived, yet it has not completed (a rank is stuck inside it)"),
            std::string::npos)
      << report.text;
  EXPECT_EQ(report.text.find("another node"), std::string::npos) << report.text;
  EXPECT_LT(report.seconds, 4.0) << "waited for another node's report in a job on one node";
}

TEST(Watchdog, AcrossNodesTheLateRanksNodeGetsAHeadStart) {
  const Report report = report_of_a_stuck_collective(/*other_nodes=*/true);
  EXPECT_NE(report.text.find("every rank of this node has arrived (a rank on another node is late"),
            std::string::npos)
      << report.text;
  EXPECT_GE(report.seconds, 5.0) << "no head start for the late rank's node";
}

}  // namespace
}  // namespace dptrain
