// Progress within an epoch on rank 0: a bar redrawn in place on a terminal, or a line every
// tenth of the epoch in batch logs, where redraws would pile up as thousands of lines.
#pragma once

#include <atomic>
#include <ostream>
#include <string>

#include "dptrain/metrics/metrics.h"

namespace dptrain {

enum class ProgressMode { off, bar, lines };

// `--progress`: "auto" (bar on a terminal, lines otherwise), "bar", "lines" or "off".
ProgressMode progress_mode(const std::string& option, bool stdout_is_terminal);

// "40% (188/469 steps) 31.2k samples/s loss 2.1034 eta 1.6 s"
std::string progress_text(const StepProgress& p);

// Ends a progress bar that is on screen, so that what is printed next (an error line, the
// stop message) starts on a line of its own. Any thread may call it; without a bar it does
// nothing.
void end_progress_bar();

class ProgressReporter : public MetricsReporter {
 public:
  // The time comes with each step (StepProgress::seconds), so the throttle needs no clock of
  // its own and tests can drive it step by step.
  // `columns`: the terminal's width, to which a bar line is cut so that it never wraps (a
  // wrapped line cannot be redrawn in place); 0 when unknown.
  ProgressReporter(std::ostream& out, ProgressMode mode, int columns = 0)
      : out_(out), mode_(mode), columns_(columns) {}
  ~ProgressReporter() override;
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;
  void step(const StepProgress& p) override;
  void epoch(const EpochMetrics&) override { clear_bar(); }
  void summary(const RunSummary&) override { clear_bar(); }

  static constexpr double kRedrawSeconds = 0.1;

 private:
  void start_epoch(int epoch);
  void draw_bar(const StepProgress& p);
  void write_line(const StepProgress& p);
  friend void end_progress_bar();
  void clear_bar();

  std::ostream& out_;
  ProgressMode mode_;
  int columns_;
  int epoch_ = 0;               // the epoch the state below belongs to
  double last_redraw_ = 0.0;    // seconds, bar mode
  std::atomic<bool> bar_shown_{false};
  std::int64_t last_tenth_ = 0; // lines mode: tenths of the epoch already reported
};

}  // namespace dptrain
