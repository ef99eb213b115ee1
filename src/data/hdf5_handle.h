// RAII ownership of HDF5 identifiers, and the one check every HDF5 call goes through.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "dptrain/error.h"

namespace dptrain {

// Owns one HDF5 identifier and closes it with the matching H5?close function.
class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Handle() = default;
  H5Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  H5Handle(H5Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  H5Handle& operator=(H5Handle&& other) noexcept {
    reset();
    id_ = std::exchange(other.id_, -1);
    close_ = other.close_;
    return *this;
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle() { reset(); }

  hid_t get() const { return id_; }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

// Turns a negative HDF5 return value into a dptrain::Error naming the file and the action.
inline hid_t h5_check(hid_t result, const std::string& path, const std::string& what) {
  if (result < 0) throw Error(path + ": " + what);
  return result;
}

// HDF5 prints a stack of diagnostics on every failed call; dptrain reports its own one line.
inline void silence_hdf5_diagnostics() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace dptrain
