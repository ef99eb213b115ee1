#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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
  EXPECT_EQ(from_bf16(to_bf16(1e30f)) / 1e30f, from_bf16(to_bf16(1e30f)) / 1e30f);  // no overflow
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

TEST(TransportPrecision, ParsesNames) {
  EXPECT_EQ(parse_transport_precision("bf16"), TransportPrecision::bf16);
  EXPECT_EQ(to_string(parse_transport_precision("fp16")), "fp16");
  EXPECT_THROW(parse_transport_precision("fp8"), Error);
}

}  // namespace
}  // namespace dptrain
