// The metrics file (JsonLinesReporter): what a new run and a resumed run leave in it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/scratch_dir.h"
#include "dptrain/metrics/reporters.h"

namespace dptrain {
namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

EpochMetrics epoch_number(int epoch) {
  EpochMetrics m;
  m.epoch = epoch;
  m.train_loss = 10.0 + epoch;  // unlike any earlier run's record
  return m;
}

TEST(MetricsFile, ANewRunReplacesAnEarlierFileOnlyAtItsFirstRecord) {
  const std::string path = testing::scratch_dir("metrics-new") + "/m.jsonl";
  write_file(path, "{\"epoch\":1}\n{\"summary\":true}\n");
  JsonLinesReporter reporter(path);
  EXPECT_EQ(lines_of(path).size(), 2u) << "a run that fails before its first epoch leaves it";
  reporter.epoch(epoch_number(1));
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"train_loss\":11.0"), std::string::npos) << lines[0];
}

// A job stopped during epoch 4, after a record of epoch 3 was written, its checkpoint taken after
// epoch 2: epochs 1 and 2 stay as written; epoch 3 (trained again), the line cut short by the
// stop and the summary of an earlier run go.
TEST(MetricsFile, AResumedRunKeepsTheCompletedEpochsAndGoesOnAfterThem) {
  const std::string path = testing::scratch_dir("metrics-resumed") + "/m.jsonl";
  const std::string first = "{\"epoch\":1,\"train_loss\":2.5}";
  const std::string second = "{\"epoch\":2,\"train_loss\":2.0}";
  write_file(path, first + "\n" + second + "\n{\"epoch\":3,\"train_loss\":1.5}\n{\"epoch\":4,\"tra");
  JsonLinesReporter reporter(path);
  reporter.resumed(2);
  reporter.epoch(epoch_number(3));
  reporter.summary(RunSummary());

  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], first);
  EXPECT_EQ(lines[1], second);
  EXPECT_NE(lines[2].find("\"epoch\":3"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("\"train_loss\":13.0"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("\"summary\":true"), std::string::npos) << lines[3];
}

// Epoch 2's record was lost (a hand-edited file, a damaged line): the file keeps epoch 1 and goes
// on after it, and says which epochs are missing.
TEST(MetricsFile, AResumedRunSaysWhichEarlierEpochsAreMissing) {
  const std::string path = testing::scratch_dir("metrics-resumed-gap") + "/m.jsonl";
  write_file(path, "{\"epoch\":1,\"train_loss\":2.5}\n{\"epoch\":2,\"tra\n{\"epoch\":3,\"train_loss\":1.5}\n");
  JsonLinesReporter reporter(path);
  ::testing::internal::CaptureStderr();
  reporter.resumed(3);
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(warning, "dptrain: warning: " + path + ": the records of epochs 2 to 3 (before the "
                     "checkpoint) are missing or damaged; the file goes on without them\n");
  reporter.epoch(epoch_number(4));
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("\"epoch\":4"), std::string::npos) << lines[1];
}

TEST(MetricsFile, AResumedRunWithoutAnEarlierFileStartsOne) {
  const std::string path = testing::scratch_dir("metrics-resumed-afresh") + "/m.jsonl";
  JsonLinesReporter reporter(path);
  ::testing::internal::CaptureStderr();
  reporter.resumed(2);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "no file, nothing missing from it";
  reporter.epoch(epoch_number(3));
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"epoch\":3"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace dptrain
