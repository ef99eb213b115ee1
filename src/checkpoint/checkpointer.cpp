#include "dptrain/checkpoint/checkpointer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "dptrain/error.h"
#include "dptrain/model/checkpoint.h"

namespace dptrain {
namespace {

namespace fs = std::filesystem;

std::string file_name(const CheckpointInfo& info) {
  char name[64];
  std::snprintf(name, sizeof name, "ckpt-e%04d-s%08lld.dpt", info.position.epoch,
                static_cast<long long>(info.steps_into_epoch()));
  return name;
}

// Checkpoint files in `dir`, newest position first.
std::vector<std::pair<TrainingPosition, fs::path>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<TrainingPosition, fs::path>> found;
  if (!fs::is_directory(dir)) return found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    int epoch = 0;
    long long step = 0;
    char tail = 0;
    const std::string name = entry.path().filename().string();
    if (std::sscanf(name.c_str(), "ckpt-e%d-s%lld.dp%c", &epoch, &step, &tail) == 3 && tail == 't' &&
        name.size() > 4 && name.substr(name.size() - 4) == ".dpt") {
      found.push_back({{epoch, step}, entry.path()});
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first.epoch != b.first.epoch ? a.first.epoch > b.first.epoch : a.first.step > b.first.step;
  });
  return found;
}

nlohmann::json segments_json(const std::vector<EpochSegment>& segments) {
  nlohmann::json list = nlohmann::json::array();
  for (const EpochSegment& s : segments) list.push_back({s.ranks, s.steps});
  return list;
}

CheckpointInfo info_from_header(const std::string& header, const std::string& path) {
  try {
    const nlohmann::json j = nlohmann::json::parse(header);
    CheckpointInfo info;
    info.position.epoch = j.at("epoch").get<int>();
    info.position.step = j.at("step").get<std::int64_t>();
    info.ranks = j.at("ranks").get<int>();
    info.fingerprint = j.at("fingerprint").get<std::string>();
    // [[ranks, steps], ...]; absent in checkpoints of epochs that one layout trained.
    // (Whether they fit the data is for the run that resumes to check: Trainer::check_layouts.)
    for (const auto& segment : j.value("earlier_segments", nlohmann::json::array())) {
      info.earlier_segments.push_back({segment.at(0).get<int>(), segment.at(1).get<std::int64_t>()});
    }
    info.job_steps = j.value("job_steps", std::int64_t{0});
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": checkpoint header is not what dptrain writes (" + e.what() + ")");
  }
}

}  // namespace

std::int64_t CheckpointInfo::steps_into_epoch() const {
  std::int64_t steps = position.step;
  for (const EpochSegment& s : earlier_segments) steps += s.steps;
  return steps;
}

Checkpointer::Checkpointer(std::string dir, int keep) : dir_(std::move(dir)), keep_(keep) {}

std::string Checkpointer::save(torch::nn::Sequential& model, torch::optim::Optimizer& optimizer,
                               const CheckpointInfo& info) {
  fs::create_directories(dir_);
  torch::serialize::OutputArchive archive;
  cpu_copy(model)->save(archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  // LibTorch's generator state: dptrain's own shuffling is seeded per epoch, but models with
  // dropout or random augmentation would draw from it.
  archive.write("rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  std::ostringstream payload;
  archive.save_to(payload);
  const std::string bytes = payload.str();

  CheckpointFile file;
  file.header = nlohmann::json{{"epoch", info.position.epoch},
                               {"step", info.position.step},
                               {"ranks", info.ranks},
                               {"fingerprint", info.fingerprint},
                               {"earlier_segments", segments_json(info.earlier_segments)},
                               {"job_steps", info.job_steps}}
                    .dump();
  file.payload.assign(bytes.begin(), bytes.end());
  const std::string path = (fs::path(dir_) / file_name(info)).string();
  write_file_atomically(path, serialize_checkpoint(file));

  const auto all = list_checkpoints(dir_);
  for (std::size_t i = static_cast<std::size_t>(std::max(keep_, 1)); i < all.size(); ++i) {
    std::error_code ignored;
    fs::remove(all[i].second, ignored);
  }
  return path;
}

std::optional<std::string> Checkpointer::newest_valid(std::string* warnings) const {
  for (const auto& [position, path] : list_checkpoints(dir_)) {
    try {
      parse_checkpoint(read_whole_file(path.string()), path.string());
      return path.string();
    } catch (const Error& e) {
      if (!warnings) continue;
      *warnings += warnings->empty() ? "skipped damaged checkpoint(s): " : "; ";
      *warnings += e.what();
    }
  }
  return std::nullopt;
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  const CheckpointFile file = parse_checkpoint(read_whole_file(path), path);
  return info_from_header(file.header, path);
}

CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Sequential& model,
                               torch::optim::Optimizer& optimizer) {
  const CheckpointFile file = parse_checkpoint(read_whole_file(path), path);
  const CheckpointInfo info = info_from_header(file.header, path);
  try {
    std::istringstream payload(std::string(file.payload.begin(), file.payload.end()));
    // Loaded straight onto the model's device: loading replaces each parameter's storage by
    // the stored tensor's, which must not move the model off its GPU.
    torch::serialize::InputArchive archive;
    archive.load_from(payload, model->parameters().front().device());
    model->load(archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor rng;
    archive.read("rng_cpu", rng);
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(rng);
  } catch (const c10::Error& e) {
    throw Error(path + ": checkpoint does not fit this model (" +
                std::string(e.what_without_backtrace()).substr(0, 200) + ")");
  }
  return info;
}

}  // namespace dptrain
