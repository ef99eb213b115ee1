#include "dptrain/train/lr_schedule.h"

namespace dptrain {

double learning_rate(const TrainConfig& config, int ranks, double epochs_done) {
  if (config.lr_scaling == LrScaling::none || ranks == 1) return config.lr;
  const double target = config.lr * ranks;
  if (config.warmup_epochs <= 0.0 || epochs_done >= config.warmup_epochs) return target;
  return config.lr + (target - config.lr) * (epochs_done / config.warmup_epochs);
}

bool learning_rate_settled(const TrainConfig& config, int ranks, double epochs_done) {
  return config.lr_scaling == LrScaling::none || ranks == 1 || epochs_done >= config.warmup_epochs;
}

}  // namespace dptrain
