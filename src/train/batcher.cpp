#include "dptrain/train/batcher.h"

#include "dptrain/data/epoch_order.h"
#include "dptrain/data/shard.h"

namespace dptrain {

Batcher::Batcher(const Shard& shard, std::int64_t batch_size)
    : batch_size_(batch_size), shard_begin_(shard.begin) {
  // from_blob does not copy: the batcher reads the shard's own buffer.
  images_ = torch::from_blob(const_cast<std::uint8_t*>(shard.images.data()),
                             {shard.count, 1, kImageSide, kImageSide}, torch::kUInt8);
  labels_ = torch::from_blob(const_cast<std::uint8_t*>(shard.labels.data()), {shard.count},
                             torch::kUInt8)
                .to(torch::kLong);
}

void Batcher::start_epoch(bool shuffle, std::uint64_t seed, int epoch) {
  if (!shuffle) {
    order_ = torch::Tensor();
    return;
  }
  std::vector<std::int64_t> order = epoch_order(shard_size(), true, seed, epoch, shard_begin_);
  order_ = torch::tensor(order, torch::kLong);
}

Batch Batcher::batch(std::int64_t step) const {
  const ShardRange range = batch_range(shard_size(), step, batch_size_);
  if (!order_.defined()) {
    return convert(images_.narrow(0, range.begin, range.count),
                   labels_.narrow(0, range.begin, range.count));
  }
  const torch::Tensor picks = order_.narrow(0, range.begin, range.count);
  return convert(images_.index_select(0, picks), labels_.index_select(0, picks));
}

Batch Batcher::convert(const torch::Tensor& images, const torch::Tensor& labels) const {
  return Batch{images.to(torch::kFloat).div_(255.0f), labels};
}

}  // namespace dptrain
