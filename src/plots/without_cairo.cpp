// The picture writers of a dptrain built without cairo: each says what is missing.
#include "dptrain/error.h"
#include "dptrain/plots/confusion_heatmap.h"
#include "dptrain/plots/sprite.h"

namespace dptrain {
namespace {

[[noreturn]] void no_cairo(const std::string& path) {
  throw Error(path + ": this dptrain was built without cairo, which draws PNG files "
              "(install libcairo2-dev and rebuild)");
}

}  // namespace

void write_confusion_heatmap(const ConfusionMatrix&, const std::string& path) { no_cairo(path); }

void write_sprite(const std::vector<SpriteItem>&, const std::array<std::string, kNumClasses>&,
                  const std::string&, const std::string& path) {
  no_cairo(path);
}

}  // namespace dptrain
