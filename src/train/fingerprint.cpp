#include "dptrain/train/fingerprint.h"

#include <map>
#include <sstream>

#include "dptrain/comm/transport_precision.h"

namespace dptrain {
namespace {

std::map<std::string, std::string> parse_lines(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto equals = line.find('=');
    if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return values;
}

}  // namespace

// Numbers as exact_text writes them: 6 digits alone would make --lr 0.0010000004 and 0.001 the
// same run (and resume one as the other), and checkpoints written before record 0.0001, not 1e-04.
std::string training_fingerprint(const TrainConfig& c, torch::nn::Sequential& model,
                                 std::int64_t train_samples) {
  std::ostringstream out;
  out << "model=" << c.model << "\nparameters=";
  for (const auto& item : model->named_parameters()) {
    out << item.key() << item.value().sizes() << " ";
  }
  out << "\ntrain_samples=" << train_samples << "\nbatch-size=" << c.batch_size
      << "\nlr=" << exact_text(c.lr) << "\nlr-scaling=" << to_string(c.lr_scaling)
      << "\nwarmup-epochs=" << exact_text(c.warmup_epochs) << "\nseed=" << c.seed
      << "\nshuffle=" << (c.shuffle ? "true" : "false") << "\n";
  return out.str();
}

std::string job_fingerprint(const TrainConfig& c, torch::nn::Sequential& model,
                            std::int64_t train_samples, int ranks, std::int64_t steps_per_epoch) {
  std::ostringstream out;
  out << training_fingerprint(c, model, train_samples) << "ranks=" << ranks
      << "\nsteps_per_epoch=" << steps_per_epoch << "\nglobal_batch=" << global_batch(c, ranks)
      << "\nepochs=" << c.epochs << "\ngrad-dtype=" << c.grad_dtype
      << "\nbucket-mb=" << exact_text(c.bucket_mb) << "\ndevice=" << c.device
      << "\nbackend=" << effective_backend(c) << "\ncuda-graphs=" << c.cuda_graphs << "\nbuild=" << DPTRAIN_VERSION << " " << __DATE__ << " "
      << __TIME__ << "\n";
  return out.str();
}

std::string fingerprint_value(const std::string& fingerprint, const std::string& key) {
  const auto values = parse_lines(fingerprint);
  const auto found = values.find(key);
  return found == values.end() ? std::string() : found->second;
}

std::vector<std::string> fingerprint_differences(const std::string& a, const std::string& b) {
  const auto left = parse_lines(a), right = parse_lines(b);
  std::map<std::string, bool> keys;
  for (const auto& kv : left) keys[kv.first] = true;
  for (const auto& kv : right) keys[kv.first] = true;
  // Other models have other parameters: their shapes would only repeat the model's difference.
  const auto value = [](const std::map<std::string, std::string>& m, const std::string& key) {
    const auto found = m.find(key);
    return found == m.end() ? std::string("(absent)") : found->second;
  };
  const bool models_differ = value(left, "model") != value(right, "model");
  std::vector<std::string> differences;
  for (const auto& kv : keys) {
    if (models_differ && kv.first == "parameters") continue;
    const std::string lv = value(left, kv.first), rv = value(right, kv.first);
    if (lv != rv) differences.push_back(kv.first + ": " + lv + " vs " + rv);
  }
  return differences;
}

}  // namespace dptrain
