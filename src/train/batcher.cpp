#include "dptrain/train/batcher.h"

#include "dptrain/data/epoch_order.h"
#include "dptrain/data/shard.h"

namespace dptrain {

Batcher::Batcher(const Shard& shard, std::int64_t batch_size, torch::Device device)
    : epoch_size_(shard.count), batch_size_(batch_size), shard_begin_(shard.begin) {
  // from_blob does not copy: on the CPU the batcher reads the shard's own buffer.
  images_ = torch::from_blob(const_cast<std::uint8_t*>(shard.images.data()),
                             {shard.count, 1, kImageSide, kImageSide}, torch::kUInt8)
                .to(device);
  labels_ = torch::from_blob(const_cast<std::uint8_t*>(shard.labels.data()), {shard.count},
                             torch::kUInt8)
                .to(device, torch::kLong);
}

void Batcher::start_epoch(bool shuffle, std::uint64_t seed, int epoch) {
  start_epoch(epoch_order(shard_size(), shuffle, seed, epoch, shard_begin_));
}

void Batcher::start_epoch(const std::vector<std::int64_t>& order) {
  epoch_size_ = static_cast<std::int64_t>(order.size());
  // The whole shard in file order is sliced (views, no copy) rather than gathered.
  bool file_order = epoch_size_ == shard_size();
  for (std::int64_t i = 0; file_order && i < epoch_size_; ++i) file_order = order[i] == i;
  order_ = file_order ? torch::Tensor() : torch::tensor(order, torch::kLong).to(images_.device());
}

Batch Batcher::batch(std::int64_t step) const { return convert(raw_batch(step)); }

RawBatch Batcher::raw_batch(std::int64_t step) const {
  const ShardRange range = batch_range(epoch_size_, step, batch_size_);
  if (!order_.defined()) {
    return {images_.narrow(0, range.begin, range.count), labels_.narrow(0, range.begin, range.count)};
  }
  const torch::Tensor picks = order_.narrow(0, range.begin, range.count);
  return {images_.index_select(0, picks), labels_.index_select(0, picks)};
}

Batch Batcher::convert(const RawBatch& raw) {
  // uint8 divided by a float: the conversion and the division in one pass (one GPU kernel),
  // with ToTensor's arithmetic, x / 255 in float.
  return Batch{torch::div(raw.images, 255.0f), raw.labels};
}

}  // namespace dptrain
