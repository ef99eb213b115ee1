#include "dptrain/comm/transport_precision.h"

#include <cmath>
#include <cstring>

#include "dptrain/error.h"

namespace dptrain {

TransportPrecision parse_transport_precision(const std::string& name) {
  if (name == "fp32") return TransportPrecision::fp32;
  if (name == "bf16") return TransportPrecision::bf16;
  if (name == "fp16") return TransportPrecision::fp16;
  throw Error("--grad-dtype must be fp32, bf16 or fp16 (got " + name + ")");
}

std::string to_string(TransportPrecision precision) {
  switch (precision) {
    case TransportPrecision::bf16: return "bf16";
    case TransportPrecision::fp16: return "fp16";
    default: return "fp32";
  }
}

std::uint16_t to_bf16(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value)) return static_cast<std::uint16_t>((bits >> 16) | 0x40);  // stay NaN
  bits += 0x7fff + ((bits >> 16) & 1);  // round to nearest, ties to even
  return static_cast<std::uint16_t>(bits >> 16);
}

float from_bf16(std::uint16_t half) {
  const std::uint32_t bits = static_cast<std::uint32_t>(half) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The compiler's _Float16 converts with the hardware's rounding (nearest even).
std::uint16_t to_fp16(float value) {
  const _Float16 half = static_cast<_Float16>(value);
  std::uint16_t bits;
  std::memcpy(&bits, &half, sizeof bits);
  return bits;
}

float from_fp16(std::uint16_t bits) {
  _Float16 half;
  std::memcpy(&half, &bits, sizeof half);
  return static_cast<float>(half);
}

void encode(const float* values, std::size_t count, TransportPrecision precision,
            std::uint16_t* out) {
  if (precision == TransportPrecision::bf16) {
    for (std::size_t i = 0; i < count; ++i) out[i] = to_bf16(values[i]);
  } else {
    for (std::size_t i = 0; i < count; ++i) out[i] = to_fp16(values[i]);
  }
}

void decode(const std::uint16_t* bits, std::size_t count, TransportPrecision precision,
            float* out) {
  if (precision == TransportPrecision::bf16) {
    for (std::size_t i = 0; i < count; ++i) out[i] = from_bf16(bits[i]);
  } else {
    for (std::size_t i = 0; i < count; ++i) out[i] = from_fp16(bits[i]);
  }
}

void round_to_precision(float* values, std::size_t count, TransportPrecision precision) {
  if (precision == TransportPrecision::bf16) {
    for (std::size_t i = 0; i < count; ++i) values[i] = from_bf16(to_bf16(values[i]));
  } else if (precision == TransportPrecision::fp16) {
    for (std::size_t i = 0; i < count; ++i) values[i] = from_fp16(to_fp16(values[i]));
  }
}

}  // namespace dptrain
