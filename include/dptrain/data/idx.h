// Reader for the IDX format that MNIST and Fashion-MNIST ship in (gzip-compressed or plain).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dptrain {

// An unsigned-byte IDX array: its dimensions (first = number of items) and values in C order.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> values;
};

// Reads `path`, gzip or plain, and checks the magic number (unsigned bytes, `expected_dims`
// dimensions) and that the payload holds exactly the bytes the header promises.
// Throws dptrain::Error naming the file and what was wrong.
IdxArray read_idx(const std::string& path, int expected_dims);

// Parses an IDX image already in memory; `name` is used in error messages.
IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, int expected_dims,
                   const std::string& name);

// `dir/stem` if it exists, else `dir/stem.gz`; throws if neither exists.
std::string find_idx_file(const std::string& dir, const std::string& stem);

}  // namespace dptrain
