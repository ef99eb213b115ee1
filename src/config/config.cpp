#include "dptrain/config/config.h"

#include <sstream>

#include "dptrain/checkpoint/checkpoint_schedule.h"
#include "dptrain/comm/transport_precision.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

template <class T>
void require(bool ok, const char* option, const char* expectation, const T& value) {
  if (ok) return;
  std::ostringstream text;
  text << option << " must be " << expectation << " (got " << value << ")";
  throw Error(text.str());
}

}  // namespace

void validate(const TrainConfig& c) {
  if (c.data.empty()) throw Error("--data is required: the HDF5 file written by `dptrain convert`");
  require(c.epochs >= 1, "--epochs", "at least 1", c.epochs);
  require(c.batch_size >= 1, "--batch-size", "at least 1", c.batch_size);
  require(c.lr > 0.0, "--lr", "positive", c.lr);
  require(c.warmup_epochs >= 0.0, "--warmup-epochs", "zero or positive", c.warmup_epochs);
  require(c.threads >= 1, "--threads", "at least 1", c.threads);
  require(c.bucket_mb > 0.0, "--bucket-mb", "positive", c.bucket_mb);
  parse_transport_precision(c.grad_dtype);
  parse_checkpoint_every(c.checkpoint_every);
  require(c.keep_checkpoints >= 1, "--keep-checkpoints", "at least 1", c.keep_checkpoints);
  require(c.collective_timeout >= 0, "--collective-timeout", "zero (off) or positive",
          c.collective_timeout);
  if (c.resume && c.checkpoint_dir.empty()) {
    throw Error("--resume needs --checkpoint-dir: the directory to resume from");
  }
}

std::string to_string(LrScaling scaling) {
  return scaling == LrScaling::linear ? "linear" : "none";
}

}  // namespace dptrain
