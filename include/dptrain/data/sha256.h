// SHA-256 of a file, recorded in the HDF5 file so a dataset can be traced to its sources.
#pragma once

#include <string>

namespace dptrain {

// Lower-case hex digest of the file's bytes as stored on disk.
std::string sha256_of_file(const std::string& path);

}  // namespace dptrain
