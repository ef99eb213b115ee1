// How the command line front end reports a failure: one line, once, and no rank left waiting.
#pragma once

#include <exception>
#include <string>

namespace dptrain {

// What a failure says: its message; for a filesystem error the path and the reason
// ("x.jsonl: File name too long"), not the library's "filesystem error: status: ..." form.
std::string error_message(const std::exception& e);

// Before MPI starts (or without MPI): prints "dptrain: error: <message>" on the launcher's
// rank 0 only, since every rank sees the same command line. Returns the exit code to use.
int report_usage_error(const std::string& message);

// While MPI runs and this rank alone may have failed: prints the line (naming the rank when
// there are several) and aborts the whole job, so ranks waiting for this one in a collective
// do not hang.
[[noreturn]] void abort_job(const std::string& message);

}  // namespace dptrain
