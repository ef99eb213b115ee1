#include "dptrain/model/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "dptrain/checkpoint/checkpoint_file.h"
#include "dptrain/data/zip_check.h"
#include "dptrain/error.h"
#include "dptrain/model/registry.h"

namespace dptrain {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string shape_text(torch::IntArrayRef sizes) {
  std::string text = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) text += (i ? "," : "") + std::to_string(sizes[i]);
  return text + "]";
}

// The parameters of a model.pt (torch::save) or of a training checkpoint (.dpt, checked
// against its checksum first); the checkpoint's optimizer and RNG entries are not needed here.
// The file is read once, checked, and handed to LibTorch from memory.
void read_parameters(torch::nn::Sequential& model, const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  // --data and --checkpoint swapped: say so, rather than blame the model's name.
  constexpr char kHdf5Signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  if (bytes.size() >= sizeof kHdf5Signature &&
      std::memcmp(bytes.data(), kHdf5Signature, sizeof kHdf5Signature) == 0) {
    throw Error(path + ": an HDF5 dataset, not a model (the dataset goes to --data)");
  }
  if (std::filesystem::path(path).extension() != ".dpt") {
    check_zip_records(bytes, path);  // LibTorch itself would load a flipped bit as a weight
    std::istringstream archive(std::string(bytes.begin(), bytes.end()));
    torch::load(model, archive);
    return;
  }
  const CheckpointFile file = parse_checkpoint(bytes, path);
  std::istringstream payload(std::string(file.payload.begin(), file.payload.end()));
  torch::serialize::InputArchive archive;
  archive.load_from(payload);
  model->load(archive);
}

}  // namespace

torch::nn::Sequential load_model(const std::string& model_name, const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(path + ": no such checkpoint (`dptrain train --out-dir DIR` writes DIR/model.pt, "
                "--checkpoint-dir DIR writes DIR/ckpt-*.dpt)");
  }
  torch::nn::Sequential model = make_model(model_name);
  // torch::load replaces each parameter by the stored tensor whatever its shape, so a
  // checkpoint of a model with the same layer names but other sizes (wide-mlp for
  // quickstart-mlp) would load silently; compare with the shapes the model was built with.
  std::map<std::string, std::vector<std::int64_t>> expected;
  for (const auto& p : model->named_parameters()) expected[p.key()] = p.value().sizes().vec();
  try {
    read_parameters(model, path);
  } catch (const Error&) {
    throw;  // names the file already (a damaged .dpt)
  } catch (const c10::Error& e) {
    throw Error(path + ": not a checkpoint of model '" + model_name + "' (" + first_line(e.msg()) +
                "; pass --model if it was trained with another one)");
  } catch (const std::exception& e) {
    // LibTorch's reader of the archive's code section reports damage with a multi-line,
    // source-annotated message of its own.
    throw Error(path + ": damaged, or not a model file (" + first_line(e.what()) + ")");
  }
  for (const auto& p : model->named_parameters()) {
    if (p.value().sizes().vec() != expected[p.key()]) {
      throw Error(path + ": not a checkpoint of model '" + model_name + "' (parameter " + p.key() +
                  " is " + shape_text(p.value().sizes()) + ", expected " +
                  shape_text(expected[p.key()]) + "; pass --model if it was trained with another one)");
    }
  }
  model->eval();
  return model;
}

torch::nn::Sequential cpu_copy(const torch::nn::Sequential& model) {
  if (model->parameters().front().is_cpu()) return model;
  return torch::nn::Sequential(
      std::dynamic_pointer_cast<torch::nn::SequentialImpl>(model->clone(torch::Device(torch::kCPU))));
}

}  // namespace dptrain
