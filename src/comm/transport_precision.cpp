#include "dptrain/comm/transport_precision.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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
  // Round to nearest, ties to even; a NaN keeps its top bits and stays a (quiet) NaN. Written
  // without branches, so that loops over it vectorize.
  const std::uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  const std::uint32_t quiet_nan = (bits >> 16) | 0x40u;
  const bool nan = (bits & 0x7fffffffu) > 0x7f800000u;
  return static_cast<std::uint16_t>(nan ? quiet_nan : rounded);
}

float from_bf16(std::uint16_t half) {
  const std::uint32_t bits = static_cast<std::uint32_t>(half) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The compiler's _Float16 converts with the hardware's rounding (nearest even), but in
// software on a plain x86-64 build: ~8 ns a value, 7 ms for the quickstart's gradients.
// encode() and decode() use the F16C instructions instead where the CPU has them.
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

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
bool has_f16c() {
  static const bool has = __builtin_cpu_supports("f16c");
  return has;
}

// 8 values per instruction, rounded to nearest even like to_fp16; the tail goes one by one.
__attribute__((target("avx,f16c")))
std::size_t encode_fp16_f16c(const float* values, std::size_t count, std::uint16_t* out) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i half = _mm256_cvtps_ph(_mm256_loadu_ps(values + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), half);
  }
  return i;
}

__attribute__((target("avx,f16c")))
std::size_t decode_fp16_f16c(const std::uint16_t* bits, std::size_t count, float* out) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bits + i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(half));
  }
  return i;
}

// bf16 is integer arithmetic: the widest vectors the CPU has, chosen when the program starts.
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void encode_bf16(const float* values, std::size_t count, std::uint16_t* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = to_bf16(values[i]);
}
#else
void encode_bf16(const float* values, std::size_t count, std::uint16_t* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = to_bf16(values[i]);
}
bool has_f16c() { return false; }
std::size_t encode_fp16_f16c(const float*, std::size_t, std::uint16_t*) { return 0; }
std::size_t decode_fp16_f16c(const std::uint16_t*, std::size_t, float*) { return 0; }
#endif

}  // namespace

void encode(const float* values, std::size_t count, TransportPrecision precision,
            std::uint16_t* out) {
  if (precision == TransportPrecision::bf16) {
    encode_bf16(values, count, out);
    return;
  }
  const std::size_t done = has_f16c() ? encode_fp16_f16c(values, count, out) : 0;
  for (std::size_t i = done; i < count; ++i) out[i] = to_fp16(values[i]);
}

void decode(const std::uint16_t* bits, std::size_t count, TransportPrecision precision,
            float* out) {
  if (precision == TransportPrecision::bf16) {
    for (std::size_t i = 0; i < count; ++i) out[i] = from_bf16(bits[i]);
    return;
  }
  const std::size_t done = has_f16c() ? decode_fp16_f16c(bits, count, out) : 0;
  for (std::size_t i = done; i < count; ++i) out[i] = from_fp16(bits[i]);
}

void round_to_precision(float* values, std::size_t count, TransportPrecision precision) {
  if (precision == TransportPrecision::fp32) return;
  // Through a small buffer on the stack: the same conversions as encode() and decode().
  constexpr std::size_t kBlock = 1024;
  std::uint16_t wire[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t n = std::min(kBlock, count - start);
    encode(values + start, n, precision, wire);
    decode(wire, n, precision, values + start);
  }
}

}  // namespace dptrain
