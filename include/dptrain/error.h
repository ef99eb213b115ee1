// One exception type for everything that can go wrong in dptrain.
//
// Library code throws dptrain::Error with a message that already names the file, dataset or
// option and what was expected; the command line front end prints it as a single
// "dptrain: error: ..." line and makes sure every rank exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace dptrain {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace dptrain
