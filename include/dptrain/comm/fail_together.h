// Startup failures that every rank agrees on.
//
// A bad file or option may be noticed by one rank only (each reads its own shard). If that
// rank simply exited, the others would wait forever in their next collective. Instead every
// rank reports whether its setup failed; if any did, the lowest failing rank prints the one
// error line and all ranks leave with the same non-zero exit code.
#pragma once

#include <exception>
#include <string>

#include "dptrain/comm/communicator.h"

namespace dptrain {

// Thrown on every rank once the failure has been printed; main turns it into exit code 1.
struct ReportedFailure : std::exception {
  const char* what() const noexcept override { return "failure already reported"; }
};

// `local_failure` is this rank's error message, empty if its setup succeeded. Collective.
void fail_together(Communicator& comm, const std::string& local_failure);

// Prints "dptrain: error: <message>" to standard error in one write: the launcher interleaves
// what ranks print, and a line written in pieces can be cut by another rank's.
void print_error_line(const std::string& message);

}  // namespace dptrain
