// The per-rank time breakdown: spread across ranks, and the straggler.
#include <gtest/gtest.h>

#include "dptrain/metrics/metrics.h"

namespace dptrain {
namespace {

TEST(PhaseReport, FindsMedianAndStraggler) {
  const Spread s = spread_of({3.0, 1.0, 7.0, 2.0});
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.max, 7.0);
  EXPECT_EQ(s.slowest_rank, 2);
  // Synchronous ranks: the straggler computes longest, and the others wait for it, so every
  // total is the same and the rank that waits longest is a fast one.
  PhaseSeconds fast, slow;
  fast.forward = 1.0;
  fast.communication = 0.5;
  slow.forward = 1.4;
  slow.communication = 0.1;
  const PhaseReport report = summarize_phases({fast, fast, slow, fast});
  EXPECT_EQ(report.straggler(), 2);
  EXPECT_DOUBLE_EQ(report.working.max, 1.4);
  EXPECT_DOUBLE_EQ(report.communication.max, 0.5);
  EXPECT_DOUBLE_EQ(report.total.median, 1.5);
  EXPECT_DOUBLE_EQ(report.total.max, 1.5);
}

}  // namespace
}  // namespace dptrain
