// MPI_Allreduce of floats in a chosen transport precision: fp32 as is; bf16/fp16 encoded to
// 16 bits, summed pairwise in fp32 by a custom MPI operation, decoded back.
#pragma once

#include <mpi.h>

#include <cstddef>

#include "dptrain/comm/transport_precision.h"

namespace dptrain {

// In place over `comm`; large counts go in pieces (MPI counts are ints).
void mpi_allreduce_sum(float* values, std::size_t count, TransportPrecision precision, MPI_Comm comm);

}  // namespace dptrain
