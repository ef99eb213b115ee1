#include "dptrain/comm/mpi_allreduce.h"

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "dptrain/comm/mpi_check.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

constexpr std::size_t kMaxCount = INT_MAX / 2;

// MPI reduction operations over 16-bit words: decode, add in fp32, round once. In blocks,
// through the bulk conversions (vector instructions; one value at a time, fp16 costs ~8 ns).
void add_16_bit(const std::uint16_t* in, std::uint16_t* inout, int length,
                TransportPrecision precision) {
  constexpr int kBlock = 1024;
  float a[kBlock], b[kBlock];
  for (int start = 0; start < length; start += kBlock) {
    const int n = std::min(kBlock, length - start);
    decode(in + start, static_cast<std::size_t>(n), precision, a);
    decode(inout + start, static_cast<std::size_t>(n), precision, b);
    for (int i = 0; i < n; ++i) b[i] += a[i];
    encode(b, static_cast<std::size_t>(n), precision, inout + start);
  }
}

void add_bf16(void* in, void* inout, int* length, MPI_Datatype*) {
  add_16_bit(static_cast<const std::uint16_t*>(in), static_cast<std::uint16_t*>(inout), *length,
             TransportPrecision::bf16);
}

void add_fp16(void* in, void* inout, int* length, MPI_Datatype*) {
  add_16_bit(static_cast<const std::uint16_t*>(in), static_cast<std::uint16_t*>(inout), *length,
             TransportPrecision::fp16);
}

MPI_Op sum_op(TransportPrecision precision) {
  // Created on first use (after MPI_Init) and kept until MPI_Finalize releases them.
  static MPI_Op bf16 = MPI_OP_NULL, fp16 = MPI_OP_NULL;
  MPI_Op& op = precision == TransportPrecision::bf16 ? bf16 : fp16;
  if (op == MPI_OP_NULL) {
    DPTRAIN_MPI_CHECK(MPI_Op_create(precision == TransportPrecision::bf16 ? add_bf16 : add_fp16, 1, &op));
  }
  return op;
}

}  // namespace

void mpi_allreduce_sum(float* values, std::size_t count, TransportPrecision precision,
                       MPI_Comm comm) {
  if (precision == TransportPrecision::fp32) {
    for (std::size_t done = 0; done < count; done += kMaxCount) {
      const int piece = static_cast<int>(std::min(kMaxCount, count - done));
      DPTRAIN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values + done, piece, MPI_FLOAT, MPI_SUM, comm));
    }
    return;
  }
  std::vector<std::uint16_t> wire(count);
  encode(values, count, precision, wire.data());
  for (std::size_t done = 0; done < count; done += kMaxCount) {
    const int piece = static_cast<int>(std::min(kMaxCount, count - done));
    DPTRAIN_MPI_CHECK(
        MPI_Allreduce(MPI_IN_PLACE, wire.data() + done, piece, MPI_UINT16_T, sum_op(precision), comm));
  }
  decode(wire.data(), count, precision, values);
}

}  // namespace dptrain
