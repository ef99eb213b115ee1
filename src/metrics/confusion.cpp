#include "dptrain/metrics/confusion.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "dptrain/error.h"

namespace dptrain {

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> class_names)
    : names_(std::move(class_names)), counts_(names_.size() * names_.size(), 0) {}

void ConfusionMatrix::add(int true_class, int predicted_class) {
  const int k = classes();
  if (true_class < 0 || true_class >= k || predicted_class < 0 || predicted_class >= k) {
    throw Error("class " + std::to_string(true_class) + " or prediction " +
                std::to_string(predicted_class) + " is outside 0-" + std::to_string(k - 1));
  }
  ++counts_[static_cast<std::size_t>(true_class * k + predicted_class)];
  ++total_;
}

std::int64_t ConfusionMatrix::count(int true_class, int predicted_class) const {
  return counts_.at(static_cast<std::size_t>(true_class * classes() + predicted_class));
}

std::int64_t ConfusionMatrix::class_total(int true_class) const {
  std::int64_t sum = 0;
  for (int p = 0; p < classes(); ++p) sum += count(true_class, p);
  return sum;
}

std::int64_t ConfusionMatrix::correct() const {
  std::int64_t sum = 0;
  for (int c = 0; c < classes(); ++c) sum += count(c, c);
  return sum;
}

double ConfusionMatrix::accuracy() const {
  return total_ > 0 ? static_cast<double>(correct()) / static_cast<double>(total_) : 0.0;
}

double ConfusionMatrix::class_accuracy(int true_class) const {
  const std::int64_t n = class_total(true_class);
  return n > 0 ? static_cast<double>(count(true_class, true_class)) / static_cast<double>(n) : 0.0;
}

ConfusionMatrix confusion_matrix(const std::vector<std::uint8_t>& truth,
                                 const std::vector<int>& predicted,
                                 std::vector<std::string> class_names) {
  if (truth.size() != predicted.size()) {
    throw Error(std::to_string(predicted.size()) + " predictions for " +
                std::to_string(truth.size()) + " labels");
  }
  ConfusionMatrix m(std::move(class_names));
  for (std::size_t i = 0; i < truth.size(); ++i) m.add(truth[i], predicted[i]);
  return m;
}

namespace {

std::string percent(double fraction) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * fraction);
  return text;
}

std::string padded(const std::string& text, std::size_t width, bool right) {
  if (text.size() >= width) return text;
  const std::string pad(width - text.size(), ' ');
  return right ? pad + text : text + pad;
}

// One key per line and one matrix row per line: readable in a terminal and in a diff, where
// nlohmann's indented dump would put every count on a line of its own.
std::string readable_dump(const nlohmann::ordered_json& j) {
  std::string text = "{";
  for (auto it = j.begin(); it != j.end(); ++it) {
    text += (it == j.begin() ? "\n " : ",\n ") + nlohmann::json(it.key()).dump() + ": ";
    if (it.key() != "matrix") {
      text += it.value().dump();
      continue;
    }
    text += "[";
    for (std::size_t row = 0; row < it.value().size(); ++row) {
      text += (row ? ",\n  " : "\n  ") + it.value()[row].dump();
    }
    text += "\n ]";
  }
  return text + "\n}\n";
}

}  // namespace

std::string confusion_text(const ConfusionMatrix& m) {
  std::ostringstream out;
  out << "test accuracy " << percent(m.accuracy()) << " (" << m.correct() << " of " << m.total()
      << ")\n\nper-class accuracy:\n";
  std::size_t name_width = 0;
  for (const auto& name : m.class_names()) name_width = std::max(name_width, name.size());
  for (int c = 0; c < m.classes(); ++c) {
    // A class without samples has no accuracy; "0.0%" would blame the model for it.
    const std::string accuracy = m.class_total(c) > 0 ? percent(m.class_accuracy(c)) : "-";
    out << "  " << padded(m.class_names()[c], name_width, false) << "  " << padded(accuracy, 6, true)
        << "  (" << m.count(c, c) << " of " << m.class_total(c) << ")\n";
  }
  // Columns are numbered, not named: ten class names side by side do not fit a terminal.
  std::size_t cell = 4;
  for (int t = 0; t < m.classes(); ++t) {
    for (int p = 0; p < m.classes(); ++p) cell = std::max(cell, std::to_string(m.count(t, p)).size() + 1);
  }
  out << "\nconfusion matrix (rows: true class, columns: predicted class):\n"
      << std::string(name_width + 5, ' ');
  for (int p = 0; p < m.classes(); ++p) out << padded(std::to_string(p), cell, true);
  out << '\n';
  for (int t = 0; t < m.classes(); ++t) {
    out << padded(std::to_string(t), 2, true) << ' ' << padded(m.class_names()[t], name_width, false)
        << "  ";
    for (int p = 0; p < m.classes(); ++p) out << padded(std::to_string(m.count(t, p)), cell, true);
    out << '\n';
  }
  return out.str();
}

std::string confusion_json(const ConfusionMatrix& m, const Provenance& provenance) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [key, value] : provenance) j[key] = value;
  j["classes"] = m.class_names();
  std::vector<std::vector<std::int64_t>> rows(static_cast<std::size_t>(m.classes()));
  nlohmann::ordered_json per_class = nlohmann::ordered_json::array();
  for (int t = 0; t < m.classes(); ++t) {
    for (int p = 0; p < m.classes(); ++p) rows[static_cast<std::size_t>(t)].push_back(m.count(t, p));
    // null, not 0, for a class without samples: it has no accuracy.
    per_class.push_back(m.class_total(t) > 0 ? nlohmann::ordered_json(m.class_accuracy(t))
                                             : nlohmann::ordered_json(nullptr));
  }
  j["matrix"] = rows;
  j["samples"] = m.total();
  j["correct"] = m.correct();
  j["accuracy"] = m.accuracy();
  j["per_class_accuracy"] = per_class;
  return readable_dump(j);
}

}  // namespace dptrain
