// When to checkpoint: --checkpoint-every 500steps | 1epoch | 600s | 30min | 2h.
#pragma once

#include <string>

namespace dptrain {

struct CheckpointEvery {
  enum class Unit { steps, epochs, seconds };
  Unit unit = Unit::epochs;
  double amount = 1.0;
};

// Throws dptrain::Error naming --checkpoint-every for anything else.
CheckpointEvery parse_checkpoint_every(const std::string& text);

}  // namespace dptrain
