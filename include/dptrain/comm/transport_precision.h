// The number format gradients travel in between processes (--grad-dtype).
//
// fp32 is exact transport. bf16 and fp16 halve the bytes on the wire: every contribution is
// rounded to 16 bits (round to nearest even) before it leaves its process, sums are formed in
// fp32, a partial sum is rounded again when it crosses to another node, and the finished sum
// once more when the ranks of a node share it. bf16 keeps fp32's
// range with 8 bits of mantissa; fp16 keeps 11 bits but overflows above 65504.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dptrain {

enum class TransportPrecision { fp32, bf16, fp16 };

TransportPrecision parse_transport_precision(const std::string& name);  // throws dptrain::Error
std::string to_string(TransportPrecision precision);

std::uint16_t to_bf16(float value);
float from_bf16(std::uint16_t bits);
std::uint16_t to_fp16(float value);
float from_fp16(std::uint16_t bits);

// Rounds values in place to what the 16-bit format can hold (no-op for fp32).
void round_to_precision(float* values, std::size_t count, TransportPrecision precision);

// Converts between fp32 and the 16-bit wire format.
void encode(const float* values, std::size_t count, TransportPrecision precision, std::uint16_t* out);
void decode(const std::uint16_t* bits, std::size_t count, TransportPrecision precision, float* out);

}  // namespace dptrain
