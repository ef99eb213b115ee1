// The communicator's allreduce, on its reduction buffer (node-shared memory when several ranks
// share a node) and on ordinary memory (MPI_Allreduce), gives exact sums on every rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>

#include "dptrain/comm/mpi_communicator.h"

namespace dptrain {
namespace {

// Small integers: float sums of them are exact whatever the order of addition.
float contribution(int rank, std::size_t i) { return static_cast<float>((rank + 1) * (i % 97)); }

// FNV-1a over the values' bits, folded to an int: equal on two ranks iff (almost surely) the
// values are.
int bits_hash(const float* values, std::size_t count) {
  std::uint32_t hash = 2166136261u;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    hash = (hash ^ bits) * 16777619u;
  }
  return static_cast<int>(hash & 0x7fffffffu);
}

void expect_sums(const float* values, std::size_t begin, std::size_t count, int ranks) {
  const float factor = static_cast<float>(ranks * (ranks + 1) / 2);
  for (std::size_t i = begin; i < begin + count; ++i) {
    ASSERT_EQ(values[i], factor * static_cast<float>(i % 97)) << "element " << i;
  }
}

// The ranks of a node are those that share memory: all of them on this machine, or every K
// consecutive ranks with DPTRAIN_TEST_RANKS_PER_NODE=K (the test of the path between nodes).
TEST(Allreduce, NodesAreTheRanksThatShareMemory) {
  MpiCommunicator comm;
  const char* per_node = std::getenv("DPTRAIN_TEST_RANKS_PER_NODE");
  const int k = per_node ? std::atoi(per_node) : comm.size();
  EXPECT_EQ(comm.local_size(), std::min(k, comm.size()));
  EXPECT_EQ(comm.local_rank(), comm.rank() % k);
  const char* shared = std::getenv("DPTRAIN_SHARED_MEMORY");
  const bool allowed = !(shared && std::string(shared) == "0");
  const bool parameters_allowed = allowed && !(shared && std::string(shared) == "gradients");
  if (comm.size() > 1 && comm.size() % k == 0) {
    EXPECT_EQ(comm.uses_shared_memory(), allowed);
    EXPECT_EQ(comm.shares_parameters(), parameters_allowed);
  }
}

TEST(Allreduce, ReductionBufferSumsEveryBucketExactly) {
  MpiCommunicator comm;
  const std::size_t total = 100003;  // not a multiple of anything convenient
  float* buffer = comm.reduction_buffer(total);
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < total; ++i) buffer[i] = contribution(comm.rank(), i);
    // Three buckets of uneven sizes, like GradientSync makes them, one of them tiny.
    comm.allreduce_sum(buffer, 70001);
    comm.allreduce_sum(buffer + 70001, 3);
    comm.allreduce_sum(buffer + 70004, total - 70004);
    expect_sums(buffer, 0, total, comm.size());
  }
}

TEST(Allreduce, OrdinaryMemoryUsesMpi) {
  MpiCommunicator comm;
  std::vector<float> values(4099);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = contribution(comm.rank(), i);
  comm.allreduce_sum(values.data(), values.size());
  expect_sums(values.data(), 0, values.size(), comm.size());
}

// 16-bit transport: the sum is that of the contributions rounded to 16 bits, accumulated in
// fp32, within the format's relative precision of the exact sum; on the node-shared buffer and
// on ordinary memory alike.
TEST(Allreduce, SixteenBitTransportCostsOnlyItsPrecision) {
  MpiCommunicator comm;
  const std::size_t count = 5003;
  auto value = [](int rank, std::size_t i) { return 0.1f * (rank + 1) + 1e-3f * static_cast<float>(i); };
  for (TransportPrecision precision : {TransportPrecision::bf16, TransportPrecision::fp16}) {
    // Each contribution and each pairwise sum on the wire is rounded once (half an ulp each).
    const float half_ulp = precision == TransportPrecision::bf16 ? 0x1p-8f : 0x1p-11f;
    const float tolerance = half_ulp * static_cast<float>(2 * comm.size());
    float* shared = comm.reduction_buffer(count);
    std::vector<float> ordinary(count);
    for (std::size_t i = 0; i < count; ++i) shared[i] = ordinary[i] = value(comm.rank(), i);
    comm.allreduce_sum(shared, count, precision);
    comm.allreduce_sum(ordinary.data(), count, precision);
    std::size_t inexact = 0;
    for (std::size_t i = 0; i < count; ++i) {
      float exact = 0.0f;
      for (int r = 0; r < comm.size(); ++r) exact += value(r, i);
      ASSERT_NEAR(shared[i], exact, exact * tolerance) << to_string(precision) << " element " << i;
      ASSERT_NEAR(ordinary[i], exact, exact * tolerance) << to_string(precision) << " element " << i;
      inexact += shared[i] != exact;
    }
    if (comm.size() > 1) EXPECT_GT(inexact, count / 2) << "values were not rounded";
    // Every rank ends with the same bits, or the replicas would drift apart.
    const float* results[] = {shared, ordinary.data()};
    for (const float* result : results) {
      const int hash = bits_hash(result, count);
      EXPECT_EQ(comm.allreduce_min(hash), comm.allreduce_max(hash)) << to_string(precision);
    }
  }
}

// With shared parameters a reduction ends in the SGD step: every parameter moves by the step
// size times the exact sum, whichever local rank updated it, and every rank of the node sees
// the one updated copy. Where ranks share no memory there are no shared parameters.
TEST(Allreduce, SharedParametersTakeTheStepOfTheSum) {
  MpiCommunicator comm;
  const std::size_t total = 30011;
  float* gradients = comm.reduction_buffer(total);
  std::vector<float> initial(total);
  for (std::size_t i = 0; i < total; ++i) initial[i] = static_cast<float>(i % 13);
  float* parameters = comm.share_parameters(gradients, total, initial.data());
  if (!comm.shares_parameters()) {
    EXPECT_EQ(parameters, nullptr);
    return;
  }
  ASSERT_NE(parameters, nullptr);
  const float factor = static_cast<float>(comm.size() * (comm.size() + 1) / 2);
  for (int step = 1; step <= 2; ++step) {
    for (std::size_t i = 0; i < total; ++i) gradients[i] = contribution(comm.rank(), i);
    // Two buckets, as GradientSync makes them; -0.5 keeps every step exact.
    comm.allreduce_sum_into_parameters(gradients, 20000, TransportPrecision::fp32, -0.5f);
    comm.allreduce_sum_into_parameters(gradients + 20000, total - 20000, TransportPrecision::fp32, -0.5f);
    for (std::size_t i = 0; i < total; ++i) {
      const float expected = initial[i] - 0.5f * static_cast<float>(step) * factor * static_cast<float>(i % 97);
      ASSERT_EQ(parameters[i], expected) << "step " << step << ", element " << i;
    }
  }
  EXPECT_EQ(comm.allreduce_min(bits_hash(parameters, total)), comm.allreduce_max(bits_hash(parameters, total)));
}

}  // namespace
}  // namespace dptrain
