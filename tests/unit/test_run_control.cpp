// RunControl: when the ranks agree to checkpoint or stop, without an agreement every step.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "dptrain/comm/communicator.h"
#include "dptrain/train/run_control.h"

namespace dptrain {
namespace {

// Counts the agreements of RunControl: each one is an allreduce_max.
class CountingCommunicator : public SingleRankCommunicator {
 public:
  int allreduce_max(int value) override {
    ++agreements;
    return value;
  }
  using SingleRankCommunicator::allreduce_max;
  int agreements = 0;
};

// The job steps after which `control` decided anything but `proceed`, over job steps
// first..last of `step_time` each.
std::vector<std::int64_t> decisions(RunControl& control, std::int64_t last,
                                    std::chrono::milliseconds step_time, std::int64_t first = 1) {
  std::vector<std::int64_t> at;
  for (std::int64_t done = first; done <= last; ++done) {
    std::this_thread::sleep_for(step_time);
    if (control.after_step(done) != StepDecision::proceed) at.push_back(done);
  }
  return at;
}

TEST(RunControl, FastStepsShareOneAgreementAmongMany) {
  CountingCommunicator comm;
  // A time-based checkpoint due at once: rank 0 asks for one at every agreement.
  RunControl control(comm, true, {CheckpointEvery::Unit::seconds, 0.0});
  const auto at = decisions(control, 3000, std::chrono::milliseconds(0));
  EXPECT_GE(comm.agreements, 3);
  EXPECT_LE(comm.agreements, 100);  // not one per step
  EXPECT_EQ(static_cast<int>(at.size()), comm.agreements);
  EXPECT_EQ(at.front(), 1);
}

TEST(RunControl, SlowStepsAgreeWithinTheAgreementPeriod) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::seconds, 0.0});
  // 10 ms steps: at most 0.05 s / 10 ms = 5 steps between agreements.
  const auto at = decisions(control, 20, std::chrono::milliseconds(10));
  ASSERT_GE(at.size(), 4u);
  for (std::size_t i = 1; i < at.size(); ++i) EXPECT_LE(at[i] - at[i - 1], 5);
  EXPECT_GT(at.back(), 15);
}

TEST(RunControl, StepCheckpointsFallOnTheirExactSteps) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::steps, 7.0});
  const auto at = decisions(control, 30, std::chrono::milliseconds(0));
  EXPECT_EQ(at, (std::vector<std::int64_t>{7, 14, 21, 28}));
}

// A rank whose loss diverged asks every rank to stop, at the next agreement, before anything
// else that is due (here a checkpoint at every step).
TEST(RunControl, ADivergedRankStopsEveryRankAtTheNextAgreement) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::steps, 1.0});
  EXPECT_EQ(control.after_step(1, true), StepDecision::fail);  // the first step is an agreement
  EXPECT_EQ(comm.agreements, 1);
}

// A job stopped after 10 steps and resumed: its step checkpoints still fall on multiples of 7
// of the job's steps, not 7 steps after the resume.
TEST(RunControl, StepCheckpointsOfAResumedJobKeepTheirSchedule) {
  CountingCommunicator comm;
  RunControl control(comm, true, {CheckpointEvery::Unit::steps, 7.0});
  control.continue_job(10);
  const auto at = decisions(control, 30, std::chrono::milliseconds(0), 11);
  EXPECT_EQ(at, (std::vector<std::int64_t>{14, 21, 28}));
}

}  // namespace
}  // namespace dptrain
