// What ranks (and a resumed run and its checkpoint) must agree on, as "key=value" lines, and a
// readable account of where two such descriptions differ.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dptrain/config/config.h"

namespace dptrain {

// The model (names and shapes of its parameters), the training set's size and the options
// that decide the sequence of updates. A checkpoint stores it; --resume requires it to match.
std::string training_fingerprint(const TrainConfig& config, torch::nn::Sequential& model,
                                 std::int64_t train_samples);

// training_fingerprint plus what depends on the job's shape and the program itself (ranks,
// steps per epoch, global batch, build): every rank of one job must produce the same text.
std::string job_fingerprint(const TrainConfig& config, torch::nn::Sequential& model,
                            std::int64_t train_samples, int ranks, std::int64_t steps_per_epoch);

// The value of `key` in a fingerprint; empty when it has none.
std::string fingerprint_value(const std::string& fingerprint, const std::string& key);

// "key: <a> here, <b> there" for every key whose value differs (or that one side lacks);
// empty when the two agree.
std::vector<std::string> fingerprint_differences(const std::string& a, const std::string& b);

}  // namespace dptrain
