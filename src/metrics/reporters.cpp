#include "dptrain/metrics/reporters.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "dptrain/data/atomic_file.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

nlohmann::json spread_json(const Spread& s) {
  return {{"min", s.min}, {"median", s.median}, {"max", s.max}, {"slowest_rank", s.slowest_rank}};
}

nlohmann::json phases_json(const PhaseReport& p) {
  return {{"data", spread_json(p.data)},
          {"forward", spread_json(p.forward)},
          {"backward", spread_json(p.backward)},
          {"communication_wait", spread_json(p.communication)},
          {"optimizer", spread_json(p.optimizer)},
          {"working", spread_json(p.working)},
          {"total", spread_json(p.total)}};
}

std::string spread_text(const char* name, const Spread& s) {
  char text[96];
  std::snprintf(text, sizeof text, "%s %.2f/%.2f/%.2f", name, s.min, s.median, s.max);
  return text;
}

}  // namespace

void ConsoleReporter::epoch(const EpochMetrics& m) {
  char line[256];
  const double share = m.epoch_seconds > 0 ? m.allreduce_seconds / m.epoch_seconds : 0.0;
  std::snprintf(line, sizeof line,
                "epoch %d: train loss %.4f, test loss %.4f, test accuracy %.1f%%, %.2f s, "
                "%.0f samples/s, %.1f%% in gradient averaging%s",
                m.epoch, m.train_loss, m.test_loss, 100.0 * m.test_accuracy, m.epoch_seconds,
                m.samples_per_second, 100.0 * share,
                m.partial ? " (the part after the checkpoint)" : "");
  out_ << line << std::endl;
  if (m.ranks < 2) return;
  const PhaseReport& p = m.phases;
  out_ << "  seconds per rank (min/median/max): " << spread_text("data", p.data) << ", "
       << spread_text("forward", p.forward) << ", " << spread_text("backward", p.backward) << ", "
       << spread_text("waiting", p.communication) << ", "
       << spread_text("optimizer", p.optimizer) << "; slowest rank " << p.straggler()
       << std::endl;
}

void ConsoleReporter::summary(const RunSummary& s) {
  char line[256];
  std::snprintf(line, sizeof line,
                "done: %d epochs, %d ranks x %d threads, global batch %lld, %.0f samples/s, "
                "final test accuracy %.1f%%, peak memory per rank %.0f MiB",
                s.epochs, s.ranks, s.threads, static_cast<long long>(s.global_batch), s.samples_per_second,
                100.0 * s.final_test_accuracy, s.peak_rss_mb.max);
  out_ << line << std::endl;
}

JsonLinesReporter::JsonLinesReporter(const std::string& path) : path_(path) {
  // A path that cannot be written fails now, before training; the file itself is emptied only
  // by the first record, so a run that fails before one leaves an earlier run's metrics alone.
  check_writable(path, "metrics file");
}

void JsonLinesReporter::write(const nlohmann::json& record) {
  if (!out_.is_open()) {
    // The first record (after a resume, with the earlier epochs' records) replaces the file in
    // one rename: a failure here (a full disk) leaves an earlier run's file as it was.
    write_text_atomically(path_, kept_ + record.dump() + "\n");
    out_.open(path_, std::ios::app);
  } else {
    out_ << record.dump() << std::endl;
  }
  if (!out_) throw Error(path_ + ": writing metrics failed (disk full?)");
}

void JsonLinesReporter::resumed(int completed_epochs) {
  // Epochs past the checkpoint are trained again, and a summary describes the run it ended:
  // only the completed epochs' records are kept, in their order. Lines that are not epoch
  // records (a line cut short when a job was killed) are dropped.
  std::ifstream in(path_);
  kept_.clear();
  int next = 1;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || !record.contains("epoch") || !record["epoch"].is_number_integer()) continue;
    if (record["epoch"].get<int>() != next || next > completed_epochs) continue;
    kept_ += line + "\n";
    ++next;
  }
  if (in.is_open() && next <= completed_epochs) {
    std::cerr << "dptrain: warning: " << path_ << ": the records of epochs " << next << " to "
              << completed_epochs << " (before the checkpoint) are missing or damaged; the file "
              << "goes on without them" << std::endl;
  }
}

void JsonLinesReporter::epoch(const EpochMetrics& m) {
  const nlohmann::json record = {
      {"epoch", m.epoch},
      {"train_loss", m.train_loss},
      {"test_loss", m.test_loss},
      {"test_accuracy", m.test_accuracy},
      {"epoch_seconds", m.epoch_seconds},
      {"samples_per_second", m.samples_per_second},
      {"allreduce_seconds", m.allreduce_seconds},
      {"learning_rate", m.learning_rate},
      {"samples", m.samples},
      {"steps", m.steps},
      {"partial", m.partial},
      {"slowest_rank", m.phases.straggler()},
      {"phases", phases_json(m.phases)}};
  write(record);
}

void JsonLinesReporter::summary(const RunSummary& s) {
  const nlohmann::json record = {
      {"summary", true},
      {"model", s.model},
      {"device", s.device},
      {"ranks", s.ranks},
      {"threads", s.threads},
      {"global_batch", s.global_batch},
      {"epochs", s.epochs},
      {"total_samples", s.total_samples},
      {"total_seconds", s.total_seconds},
      {"total_allreduce_seconds", s.total_allreduce_seconds},
      {"samples_per_second", s.samples_per_second},
      {"final_test_accuracy", s.final_test_accuracy},
      {"final_test_loss", s.final_test_loss},
      {"peak_rss_mb", spread_json(s.peak_rss_mb)}};
  write(record);
}

void ReporterList::step(const StepProgress& p) {
  for (auto& r : reporters_) r->step(p);
}

void ReporterList::epoch(const EpochMetrics& m) {
  for (auto& r : reporters_) r->epoch(m);
}

void ReporterList::resumed(int completed_epochs) {
  for (auto& r : reporters_) r->resumed(completed_epochs);
}

void ReporterList::summary(const RunSummary& s) {
  for (auto& r : reporters_) r->summary(s);
}

}  // namespace dptrain
