// Times the phases of a training step one after another.
#pragma once

#include <chrono>

namespace dptrain {

// Adds the time since the previous lap to one phase of the step breakdown.
class PhaseClock {
 public:
  void lap(double& phase) {
    const auto now = std::chrono::steady_clock::now();
    phase += std::chrono::duration<double>(now - mark_).count();
    mark_ = now;
  }

 private:
  std::chrono::steady_clock::time_point mark_ = std::chrono::steady_clock::now();
};

}  // namespace dptrain
