#include "dptrain/checkpoint/checkpointer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "dptrain/config/config.h"
#include "dptrain/data/atomic_file.h"
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

// A whole number within [0, max]: a crafted header passes the checksum all the same, and
// JSON's 1e20 or 2147483648 would otherwise wrap into a count that never ends or is negative.
std::int64_t count_in(const nlohmann::json& value, std::int64_t max) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 || value.get<std::int64_t>() > max) {
    throw Error("a count outside 0.." + std::to_string(max) + ": " + value.dump());
  }
  return value.get<std::int64_t>();
}

CheckpointInfo info_from_header(const std::string& header, const std::string& path) {
  constexpr std::int64_t kMaxCount = std::int64_t{1} << 40, kMaxRanks = 1 << 24;
  try {
    const nlohmann::json j = nlohmann::json::parse(header);
    CheckpointInfo info;
    info.position.epoch = static_cast<int>(count_in(j.at("epoch"), kMaxEpochs));
    info.position.step = count_in(j.at("step"), kMaxCount);
    info.ranks = static_cast<int>(count_in(j.at("ranks"), kMaxRanks));
    info.fingerprint = j.at("fingerprint").get<std::string>();
    // [[ranks, steps], ...]; absent in checkpoints of epochs that one layout trained.
    // (Whether they fit the data is for the run that resumes to check: Trainer::check_layouts.)
    for (const auto& segment : j.value("earlier_segments", nlohmann::json::array())) {
      info.earlier_segments.push_back({static_cast<int>(count_in(segment.at(0), kMaxRanks)),
                                       count_in(segment.at(1), kMaxCount)});
    }
    info.job_steps = count_in(j.value("job_steps", nlohmann::json(0)), kMaxCount);
    return info;
  } catch (const std::exception& e) {  // count_in's Error, or a JSON parse or type error
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

  prune(TrainingPosition{info.position.epoch, info.steps_into_epoch()});
  return path;
}

void Checkpointer::prune(const TrainingPosition& written) const {
  // Only this run's past counts: a file named after a later position is a damaged one that
  // the resume skipped, and sorting by name alone would keep it and delete the fresh ones.
  const auto later = [&](const TrainingPosition& p) {
    return p.epoch != written.epoch ? p.epoch > written.epoch : p.step > written.step;
  };
  std::size_t kept = 0;
  for (const auto& [position, path] : list_checkpoints(dir_)) {
    if (later(position) || ++kept <= static_cast<std::size_t>(std::max(keep_, 1))) continue;
    std::error_code ignored;
    fs::remove(path, ignored);
  }
}

std::optional<std::string> Checkpointer::newest_file() const {
  const auto all = list_checkpoints(dir_);
  if (all.empty()) return std::nullopt;
  return all.front().second.string();
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

CheckpointContents read_checkpoint(const std::string& path) {
  CheckpointFile file = parse_checkpoint(read_whole_file(path), path);
  CheckpointInfo info = info_from_header(file.header, path);
  return {path, std::move(info), std::move(file.payload)};
}

CheckpointInfo read_checkpoint_info(const std::string& path) { return read_checkpoint(path).info; }

void restore_checkpoint(const CheckpointContents& checkpoint, torch::nn::Sequential& model,
                        torch::optim::Optimizer& optimizer) {
  try {
    std::istringstream payload(std::string(checkpoint.payload.begin(), checkpoint.payload.end()));
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
    generator.set_state(rng.cpu());  // loaded onto the model's device, like everything else
  } catch (const c10::Error& e) {
    throw Error(checkpoint.path + ": checkpoint does not fit this model (" +
                std::string(e.what_without_backtrace()).substr(0, 200) + ")");
  }
}

}  // namespace dptrain
