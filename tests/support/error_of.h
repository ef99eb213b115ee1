// The message of the dptrain::Error that `f` throws, or "(no error)": lets a test assert on
// what a user would read.
#pragma once

#include <functional>
#include <string>

#include "dptrain/error.h"

namespace dptrain::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace dptrain::testing
