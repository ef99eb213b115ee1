#include <algorithm>

#include "dptrain/metrics/metrics.h"

namespace dptrain {

Spread spread_of(const std::vector<double>& per_rank) {
  Spread s;
  if (per_rank.empty()) return s;
  std::vector<double> sorted = per_rank;
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  const std::size_t n = sorted.size();
  s.median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  s.slowest_rank = static_cast<int>(std::max_element(per_rank.begin(), per_rank.end()) - per_rank.begin());
  return s;
}

PhaseReport summarize_phases(const std::vector<PhaseSeconds>& per_rank) {
  auto spread = [&](double PhaseSeconds::*phase) {
    std::vector<double> values;
    for (const auto& p : per_rank) values.push_back(p.*phase);
    return spread_of(values);
  };
  PhaseReport report;
  report.data = spread(&PhaseSeconds::data);
  report.forward = spread(&PhaseSeconds::forward);
  report.backward = spread(&PhaseSeconds::backward);
  report.communication = spread(&PhaseSeconds::communication);
  report.optimizer = spread(&PhaseSeconds::optimizer);
  std::vector<double> working, totals;
  for (const auto& p : per_rank) {
    working.push_back(p.working());
    totals.push_back(p.total());
  }
  report.working = spread_of(working);
  report.total = spread_of(totals);
  return report;
}

}  // namespace dptrain
