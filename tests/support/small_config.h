// The configuration of the training tests: synthetic data, small batches, a learning rate
// large enough that a few steps move the parameters, and buckets small enough to be several.
#pragma once

#include "dptrain/config/config.h"

namespace dptrain::testing {

inline TrainConfig small_config() {
  TrainConfig c;
  c.data = "synthetic";
  c.batch_size = 5;
  c.lr = 0.05;
  c.seed = 7;
  c.bucket_mb = 0.5;  // several buckets for the quickstart MLP
  return c;
}

}  // namespace dptrain::testing
