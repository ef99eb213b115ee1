// The one check every MPI call goes through: a failure becomes a dptrain::Error carrying the
// call and MPI's own message (communicators are set to MPI_ERRORS_RETURN).
#pragma once

#include <mpi.h>

#include <string>

#include "dptrain/error.h"

namespace dptrain {

// MPI's own words for an error code.
inline std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, length);
}

inline void mpi_check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  throw Error(std::string(call) + " failed: " + mpi_error_text(code));
}

}  // namespace dptrain

#define DPTRAIN_MPI_CHECK(call) ::dptrain::mpi_check((call), #call)
