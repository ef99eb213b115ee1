// The one check every MPI call goes through: a failure becomes a dptrain::Error carrying the
// call and MPI's own message (communicators are set to MPI_ERRORS_RETURN).
#pragma once

#include <mpi.h>

#include <string>

#include "dptrain/error.h"

namespace dptrain {

inline void mpi_check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(call) + " failed: " + std::string(text, length));
}

}  // namespace dptrain

#define DPTRAIN_MPI_CHECK(call) ::dptrain::mpi_check((call), #call)
