#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dptrain/comm/transport_precision.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

TEST(TransportPrecision, Bf16RoundsToNearestEven) {
  EXPECT_EQ(from_bf16(to_bf16(1.0f)), 1.0f);
  EXPECT_EQ(from_bf16(to_bf16(-3.5f)), -3.5f);
  // bf16 keeps 7 explicit mantissa bits: next to 1.0 lies 1 + 2^-7.
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0x1p-9f)), 1.0f);                        // below half: down
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0x1p-8f)), 1.0f);                        // a tie: to even
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0x1p-7f + 0x1p-8f)), 1.0f + 0x1p-6f);    // a tie: to even
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0x1p-8f + 0x1p-12f)), 1.0f + 0x1p-7f);   // above half: up
  EXPECT_TRUE(std::isfinite(from_bf16(to_bf16(1e30f))));  // no overflow
  EXPECT_NEAR(from_bf16(to_bf16(1e30f)), 1e30f, 1e30f * 0x1p-8f);
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(TransportPrecision, Fp16KeepsElevenBitsAndOverflows) {
  EXPECT_EQ(from_fp16(to_fp16(0.1f)), static_cast<float>(static_cast<_Float16>(0.1f)));
  EXPECT_NEAR(from_fp16(to_fp16(0.1f)), 0.1f, 0.1f * 0x1p-11f);
  EXPECT_EQ(from_fp16(to_fp16(65504.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(from_fp16(to_fp16(1e5f))));
}

TEST(TransportPrecision, RoundsInPlaceAndRoundTrips) {
  float values[3] = {0.3f, -7.123456f, 1e-3f};
  float rounded[3] = {0.3f, -7.123456f, 1e-3f};
  round_to_precision(rounded, 3, TransportPrecision::bf16);
  std::uint16_t wire[3];
  float back[3];
  encode(values, 3, TransportPrecision::bf16, wire);
  decode(wire, 3, TransportPrecision::bf16, back);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i], rounded[i]);
    EXPECT_NE(rounded[i], values[i]);
    EXPECT_NEAR(rounded[i], values[i], std::fabs(values[i]) * 0x1p-8f);
  }
  round_to_precision(values, 3, TransportPrecision::fp32);
  EXPECT_EQ(values[0], 0.3f);
}

// encode() and decode() convert many values at a time (vector instructions where the CPU has
// them): they must give the bits of the one-value conversions, tails and special values too.
TEST(TransportPrecision, BulkConversionsMatchTheOneValueConversions) {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65520.0f, -1e5f, 6e-8f, 3e-5f,
                               1e-40f, 1e30f, std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::quiet_NaN()};
  for (int i = 0; values.size() < 1003; ++i) {
    values.push_back(std::ldexp(1.0f + 0.37f * static_cast<float>(i % 101) / 101.0f, i % 60 - 30) *
                     (i % 2 ? -1.0f : 1.0f));
  }
  for (TransportPrecision precision : {TransportPrecision::bf16, TransportPrecision::fp16}) {
    const bool bf16 = precision == TransportPrecision::bf16;
    std::vector<std::uint16_t> wire(values.size());
    std::vector<float> back(values.size());
    encode(values.data(), values.size(), precision, wire.data());
    decode(wire.data(), wire.size(), precision, back.data());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const float one = bf16 ? from_bf16(to_bf16(values[i])) : from_fp16(to_fp16(values[i]));
      if (std::isnan(values[i])) {
        EXPECT_TRUE(std::isnan(back[i])) << to_string(precision) << " value " << i;
        continue;
      }
      EXPECT_EQ(wire[i], bf16 ? to_bf16(values[i]) : to_fp16(values[i]))
          << to_string(precision) << " value " << i;
      EXPECT_EQ(back[i], one) << to_string(precision) << " value " << i;
    }
    std::vector<float> rounded = values;
    round_to_precision(rounded.data(), rounded.size(), precision);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isnan(values[i])) continue;
      EXPECT_EQ(rounded[i], back[i]) << to_string(precision) << " value " << i;
    }
  }
}

TEST(TransportPrecision, ParsesNames) {
  EXPECT_EQ(parse_transport_precision("bf16"), TransportPrecision::bf16);
  EXPECT_EQ(to_string(parse_transport_precision("fp16")), "fp16");
  EXPECT_THROW(parse_transport_precision("fp8"), Error);
}

}  // namespace
}  // namespace dptrain
