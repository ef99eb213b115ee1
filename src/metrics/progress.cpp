#include "dptrain/metrics/progress.h"

#include <cmath>
#include <cstdio>

#include "dptrain/error.h"

namespace dptrain {
namespace {

constexpr int kBarWidth = 12;  // keeps a whole bar line under 80 columns

// The reporter whose bar is on screen, for end_progress_bar (error lines come from any
// thread: the trainer's, the watchdog's).
std::atomic<ProgressReporter*> g_bar_on_screen{nullptr};

std::string rate_text(double per_second) {
  char text[32];
  if (per_second >= 1e6) {
    std::snprintf(text, sizeof text, "%.2fM", per_second / 1e6);
  } else if (per_second >= 1e3) {
    std::snprintf(text, sizeof text, "%.1fk", per_second / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f", per_second);
  }
  return text;
}

std::string duration_text(double seconds) {
  char text[32];
  const long whole = std::lround(seconds);
  if (seconds < 60) {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  } else if (whole < 3600) {
    std::snprintf(text, sizeof text, "%ldm%02lds", whole / 60, whole % 60);
  } else {
    std::snprintf(text, sizeof text, "%ldh%02ldm", whole / 3600, whole % 3600 / 60);
  }
  return text;
}

int percent_done(const StepProgress& p) {
  return p.steps > 0 ? static_cast<int>(100 * p.step / p.steps) : 100;
}

// From this process's own pace: after a resume, the steps before it took no time here.
double seconds_left(const StepProgress& p) {
  if (p.steps_run <= 0) return 0.0;
  return p.seconds / static_cast<double>(p.steps_run) * static_cast<double>(p.steps - p.step);
}

}  // namespace

ProgressMode progress_mode(const std::string& option, bool stdout_is_terminal) {
  if (option == "auto") return stdout_is_terminal ? ProgressMode::bar : ProgressMode::lines;
  if (option == "bar") return ProgressMode::bar;
  if (option == "lines") return ProgressMode::lines;
  if (option == "off") return ProgressMode::off;
  throw Error("--progress must be auto, bar, lines or off (got '" + option + "')");
}

std::string progress_text(const StepProgress& p) {
  const double rate = p.seconds > 0 ? p.samples / p.seconds : 0.0;
  char text[160];
  std::snprintf(text, sizeof text, "%3d%% (%lld/%lld steps) %s samples/s loss %.4f eta %s",
                percent_done(p), static_cast<long long>(p.step), static_cast<long long>(p.steps),
                rate_text(rate).c_str(), p.train_loss, duration_text(seconds_left(p)).c_str());
  return text;
}

void ProgressReporter::start_epoch(int epoch) {
  epoch_ = epoch;
  last_redraw_ = 0.0;
  last_tenth_ = 0;
}

void ProgressReporter::step(const StepProgress& p) {
  if (mode_ == ProgressMode::off) return;
  const bool first = p.epoch != epoch_;
  if (first) {
    start_epoch(p.epoch);
    // A resumed epoch starts part-way: its next line is at the next tenth, not at once.
    if (p.steps > 0) last_tenth_ = 10 * (p.step - p.steps_run) / p.steps;
  }
  if (mode_ == ProgressMode::bar) {
    // The first and last steps always show; in between, a terminal needs no more than a
    // few redraws a second, and each one costs a write.
    if (first || p.step == p.steps || p.seconds - last_redraw_ >= kRedrawSeconds) draw_bar(p);
    return;
  }
  // The last tenth is the epoch's own line, written by the console reporter.
  const std::int64_t tenth = p.steps > 0 ? 10 * p.step / p.steps : 10;
  if (tenth > last_tenth_ && tenth < 10) write_line(p);
  last_tenth_ = tenth;
}

void ProgressReporter::draw_bar(const StepProgress& p) {
  const int filled = percent_done(p) * kBarWidth / 100;
  const std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, '.');
  std::string line = "epoch " + std::to_string(p.epoch) + " [" + bar + "] " + progress_text(p);
  // One column short of the width: a line that fills the last column wraps on some terminals.
  if (columns_ > 0 && line.size() >= static_cast<std::size_t>(columns_)) line.resize(columns_ - 1);
  // "\r" returns to the start of the line and "\033[K" erases what a longer previous
  // redraw left behind.
  out_ << '\r' << line << "\033[K" << std::flush;
  last_redraw_ = p.seconds;
  bar_shown_ = true;
  g_bar_on_screen = this;
}

void ProgressReporter::write_line(const StepProgress& p) {
  // Flushed at once: a batch log is a file, and the point is to watch it grow.
  out_ << "  epoch " << p.epoch << ' ' << progress_text(p) << std::endl;
}

void ProgressReporter::clear_bar() {
  if (!bar_shown_.exchange(false)) return;
  out_ << "\r\033[K" << std::flush;
}

ProgressReporter::~ProgressReporter() {
  ProgressReporter* self = this;
  g_bar_on_screen.compare_exchange_strong(self, nullptr);
}

void end_progress_bar() {
  if (ProgressReporter* reporter = g_bar_on_screen.exchange(nullptr)) reporter->clear_bar();
}

}  // namespace dptrain
