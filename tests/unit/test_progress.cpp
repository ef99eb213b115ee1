// The progress reporter: what it writes for each mode, and how often, driven step by step
// with the time that each step carries.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "dptrain/error.h"
#include "dptrain/metrics/progress.h"

namespace dptrain {
namespace {

// One epoch of `steps` steps taking `seconds_per_step` each, 64 samples per step on 2 ranks.
std::string run_epochs(ProgressMode mode, int epochs, std::int64_t steps, double seconds_per_step) {
  std::ostringstream out;
  ProgressReporter reporter(out, mode);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (std::int64_t step = 1; step <= steps; ++step) {
      reporter.step({epoch, step, steps, step, 128.0 * step, 2.5 - 0.001 * step,
                     seconds_per_step * step});
    }
    reporter.epoch(EpochMetrics());
  }
  reporter.summary(RunSummary());
  return out.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Progress, TextShowsPercentStepsRateLossAndEta) {
  // 188 of 469 steps in 6 s: 31.3 steps/s, so 281 steps left take 9.0 s.
  const StepProgress p{2, 188, 469, 188, 188.0 * 1000, 2.10344, 6.0};
  EXPECT_EQ(progress_text(p), " 40% (188/469 steps) 31.3k samples/s loss 2.1034 eta 9.0 s");
}

TEST(Progress, EtaFollowsThisProcessesStepsAfterAResume) {
  // Resumed at step 400 of 500: 100 steps ran in 10 s, so the last 100 take 10 s more.
  const StepProgress p{1, 400, 500, 100, 6400.0, 1.0, 10.0};
  EXPECT_NE(progress_text(p).find("eta 10.0 s"), std::string::npos) << progress_text(p);
  const StepProgress slow{1, 1, 1000, 1, 64.0, 1.0, 4.0};
  EXPECT_NE(progress_text(slow).find("eta 1h06m"), std::string::npos) << progress_text(slow);
  const StepProgress minutes{1, 10, 100, 10, 640.0, 1.0, 10.0};
  EXPECT_NE(progress_text(minutes).find("eta 1m30s"), std::string::npos) << progress_text(minutes);
}

TEST(Progress, LinesModeWritesAboutTenLinesPerEpochAndNoCarriageReturns) {
  const std::string out = run_epochs(ProgressMode::lines, 2, 469, 0.01);
  EXPECT_EQ(count(out, "\n"), 18u) << out;  // 10% .. 90% of each epoch; 100% is the epoch line
  EXPECT_EQ(count(out, "\r"), 0u);
  EXPECT_EQ(count(out, "  epoch 1 "), 9u);
  EXPECT_EQ(count(out, "  epoch 2 "), 9u);
  EXPECT_NE(out.find("  epoch 2  40% (188/469 steps) "), std::string::npos) << out;
}

TEST(Progress, LinesModeWithFewStepsWritesOneLinePerTenthReached) {
  const std::string out = run_epochs(ProgressMode::lines, 1, 3, 0.5);
  EXPECT_EQ(count(out, "\n"), 2u) << out;  // 33% and 66%
  EXPECT_NE(out.find(" 33% (1/3 steps)"), std::string::npos) << out;
  EXPECT_NE(out.find(" 66% (2/3 steps)"), std::string::npos) << out;
}

// Resumed at step 805 of 1875 (42 %): the next line is at 50 %, not at the first step with
// the rate of one step.
TEST(Progress, LinesModeAfterAResumeWritesFromTheNextTenth) {
  std::ostringstream out;
  ProgressReporter reporter(out, ProgressMode::lines);
  for (std::int64_t step = 806; step <= 937; ++step) {
    reporter.step({1, step, 1875, step - 805, 128.0 * (step - 805), 2.0, 0.001 * (step - 805)});
  }
  EXPECT_EQ(out.str(), "");
  reporter.step({1, 938, 1875, 133, 128.0 * 133, 2.0, 0.133});
  EXPECT_EQ(count(out.str(), "\n"), 1u);
  EXPECT_NE(out.str().find(" 50% (938/1875 steps)"), std::string::npos) << out.str();
}

TEST(Progress, BarModeRedrawsInPlaceAtMostTenTimesASecond) {
  // 1000 steps of 1 ms: one second, so the first and last step plus ~10 throttled redraws.
  const std::string out = run_epochs(ProgressMode::bar, 1, 1000, 0.001);
  const std::size_t redraws = count(out, "\repoch 1 [");
  EXPECT_GE(redraws, 9u) << out;
  EXPECT_LE(redraws, 12u) << out;
  EXPECT_EQ(count(out, "\n"), 0u);
  EXPECT_NE(out.find("\repoch 1 [############] 100% (1000/1000 steps)"), std::string::npos);
  // The epoch's end erases the bar, so the console reporter's line replaces it.
  EXPECT_EQ(out.substr(out.size() - 4), "\r\033[K");
}

TEST(Progress, BarModeShowsEveryEpochsFirstStep) {
  // Slow steps: every one is worth a redraw.
  const std::string out = run_epochs(ProgressMode::bar, 2, 4, 1.0);
  EXPECT_EQ(count(out, "\repoch 1 ["), 4u) << out;
  EXPECT_EQ(count(out, "\repoch 2 ["), 4u) << out;
  EXPECT_NE(out.find("\repoch 2 [###.........]  25% (1/4 steps)"), std::string::npos) << out;
  EXPECT_EQ(count(out, "\r\033[K"), 2u);  // once per epoch; the summary finds nothing to erase
}

// A stop mid-epoch, or an error from any thread: the message after the bar gets its line.
TEST(Progress, BarIsErasedBeforeAStopOrErrorMessage) {
  std::ostringstream out;
  ProgressReporter reporter(out, ProgressMode::bar);
  reporter.step({1, 5, 10, 5, 320.0, 2.0, 1.0});
  end_progress_bar();
  EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\033[K");
  const std::size_t size = out.str().size();
  end_progress_bar();  // nothing on screen any more: nothing to erase
  std::ostringstream elsewhere;
  {
    ProgressReporter gone(elsewhere, ProgressMode::bar);
    gone.step({1, 5, 10, 5, 320.0, 2.0, 1.0});
  }
  end_progress_bar();  // a reporter that no longer exists is not touched
  EXPECT_EQ(out.str().size(), size);
}

// One column holds no bar: an empty line is redrawn rather than one that wraps.
TEST(Progress, ABarOnAOneColumnTerminalDoesNotWrap) {
  std::ostringstream out;
  ProgressReporter reporter(out, ProgressMode::bar, 1);
  reporter.step({1, 5, 10, 5, 320.0, 2.0, 1.0});
  EXPECT_EQ(out.str(), "\r\033[K");
}

TEST(Progress, BarLinesFitANarrowTerminal) {
  std::ostringstream out;
  ProgressReporter reporter(out, ProgressMode::bar, 40);
  reporter.step({1, 5, 10, 5, 320.0, 2.0, 1.0});
  const std::string text = out.str();
  ASSERT_EQ(text.substr(0, 1), "\r");
  ASSERT_EQ(text.substr(text.size() - 3), "\033[K");
  const std::string line = text.substr(1, text.size() - 4);
  EXPECT_EQ(line.size(), 39u) << line;
  EXPECT_EQ(line.rfind("epoch 1 [######......]  50%", 0), 0u) << line;
}

TEST(Progress, OffWritesNothing) {
  EXPECT_EQ(run_epochs(ProgressMode::off, 2, 469, 0.01), "");
}

TEST(Progress, AutoChoosesTheBarOnlyOnATerminal) {
  EXPECT_EQ(progress_mode("auto", true), ProgressMode::bar);
  EXPECT_EQ(progress_mode("auto", false), ProgressMode::lines);
  EXPECT_EQ(progress_mode("lines", true), ProgressMode::lines);
  EXPECT_EQ(progress_mode("bar", false), ProgressMode::bar);
  EXPECT_EQ(progress_mode("off", true), ProgressMode::off);
  EXPECT_THROW(progress_mode("sometimes", true), Error);
}

}  // namespace
}  // namespace dptrain
