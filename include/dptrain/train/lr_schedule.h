// Learning rate as a function of training progress.
#pragma once

#include "dptrain/config/config.h"

namespace dptrain {

// With --lr-scaling linear the rate grows with the global batch: lr × ranks (Goyal et al.
// 2017), reached by a linear ramp from lr over the first `warmup_epochs` so that the large
// early gradients do not blow the model up. `epochs_done` counts fractional epochs.
double learning_rate(const TrainConfig& config, int ranks, double epochs_done);

// Whether the rate stays the same from `epochs_done` on (the warm-up ramp is over).
bool learning_rate_settled(const TrainConfig& config, int ranks, double epochs_done);

}  // namespace dptrain
