// The built-in metrics reporters.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dptrain/metrics/metrics.h"

namespace dptrain {

// One human-readable line per epoch.
class ConsoleReporter : public MetricsReporter {
 public:
  explicit ConsoleReporter(std::ostream& out) : out_(out) {}
  void epoch(const EpochMetrics& m) override;
  void summary(const RunSummary& s) override;

 private:
  std::ostream& out_;
};

// One JSON object per line and epoch, then one with "summary": true. Each line is flushed as
// it is written, so a job killed mid-run keeps the epochs it finished. A resumed run keeps the
// file's records of the epochs its checkpoint had completed and goes on after them, so that a
// job restarted any number of times leaves one file with every epoch once.
class JsonLinesReporter : public MetricsReporter {
 public:
  explicit JsonLinesReporter(const std::string& path);
  void epoch(const EpochMetrics& m) override;
  void summary(const RunSummary& s) override;
  void resumed(int completed_epochs) override;

 private:
  void write(const nlohmann::json& record);

  std::ofstream out_;  // opened (and emptied) by the first record
  std::string path_;
  std::string kept_;  // the earlier epochs' lines that the first record is written after
};

// Forwards to several reporters.
class ReporterList : public MetricsReporter {
 public:
  void add(std::unique_ptr<MetricsReporter> reporter) { reporters_.push_back(std::move(reporter)); }
  void step(const StepProgress& p) override;
  void epoch(const EpochMetrics& m) override;
  void summary(const RunSummary& s) override;
  void resumed(int completed_epochs) override;

 private:
  std::vector<std::unique_ptr<MetricsReporter>> reporters_;
};

}  // namespace dptrain
