#include "dptrain/checkpoint/checkpoint_schedule.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "dptrain/error.h"

namespace dptrain {

CheckpointEvery parse_checkpoint_every(const std::string& text) {
  static const std::map<std::string, std::pair<CheckpointEvery::Unit, double>> units = {
      {"step", {CheckpointEvery::Unit::steps, 1}},    {"steps", {CheckpointEvery::Unit::steps, 1}},
      {"epoch", {CheckpointEvery::Unit::epochs, 1}},  {"epochs", {CheckpointEvery::Unit::epochs, 1}},
      {"s", {CheckpointEvery::Unit::seconds, 1}},     {"sec", {CheckpointEvery::Unit::seconds, 1}},
      {"min", {CheckpointEvery::Unit::seconds, 60}},  {"h", {CheckpointEvery::Unit::seconds, 3600}}};
  char* end = nullptr;
  const double amount = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  const auto it = units.find(unit);
  // At most 1e12 steps, epochs or seconds: a larger count is a typo, and would overflow.
  if (end == text.c_str() || !(amount > 0 && amount <= 1e12) || it == units.end()) {
    throw Error("--checkpoint-every must be a positive number with a unit: steps, epochs, s, min "
                "or h, e.g. 500steps, 1epoch, 30min (got '" + text + "')");
  }
  CheckpointEvery every;
  every.unit = it->second.first;
  // Steps and epochs are counted whole: 0.4steps would never come round, 1.5steps be 2.
  if (every.unit != CheckpointEvery::Unit::seconds && amount != std::floor(amount)) {
    throw Error("--checkpoint-every counts whole " + unit + (unit.back() == 's' ? "" : "s") +
                " (got '" + text + "'); for a fraction of an epoch give steps or a time");
  }
  every.amount = amount * it->second.second;
  return every;
}

}  // namespace dptrain
