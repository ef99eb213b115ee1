// `dptrain bench allreduce` checks the result of every timed allreduce.
#include <gtest/gtest.h>

#include "dptrain/comm/allreduce_bench.h"
#include "dptrain/comm/communicator.h"

namespace dptrain {
namespace {

// Sums correctly (one rank: the values stay as they are) except in one allreduce, where one
// element comes out wrong.
class OnceWrongCommunicator : public SingleRankCommunicator {
 public:
  explicit OnceWrongCommunicator(int wrong_call) : wrong_call_(wrong_call) {}
  void allreduce_sum(float* values, std::size_t count, TransportPrecision) override {
    if (++calls == wrong_call_ && count > 0) values[count - 1] += 1.0f;
  }
  using SingleRankCommunicator::allreduce_sum;
  int calls = 0;

 private:
  int wrong_call_;
};

TEST(AllreduceBench, ChecksEveryTimedResult) {
  for (TransportPrecision precision : {TransportPrecision::fp32, TransportPrecision::bf16}) {
    AllreduceBenchOptions options;
    options.min_bytes = options.max_bytes = 4096;
    options.warmup = 2;
    options.seconds_per_size = 0.001;
    options.precision = precision;
    OnceWrongCommunicator right(0);
    EXPECT_EQ(bench_allreduce(right, options).at(0).wrong, 0u) << to_string(precision);
    // 2 warm-ups and 1 allreduce that sizes the timed loop; the 4th is the first timed one.
    OnceWrongCommunicator wrong_when_timed(options.warmup + 2);
    const auto samples = bench_allreduce(wrong_when_timed, options);
    EXPECT_GT(wrong_when_timed.calls, options.warmup + 2);
    EXPECT_EQ(samples.at(0).wrong, 1u) << to_string(precision);
  }
}

}  // namespace
}  // namespace dptrain
