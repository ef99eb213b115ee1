// Fuzz target: the IDX reader, in memory (parse_idx) and from a file (read_idx), where the
// input also goes through zlib's gzip decoding. A dptrain::Error is the expected answer to a
// bad file; anything else (a sanitizer report, another exception, an array that disagrees
// with its own header) is a bug.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dptrain/data/idx.h"
#include "dptrain/error.h"
#include "fuzz_input_file.h"

namespace {

// What every accepted array must satisfy: as many values as its dimensions multiply to.
void check_consistent(const dptrain::IdxArray& array, int expected_dims) {
  std::uint64_t elements = 1;
  for (std::uint32_t d : array.dims) elements *= d;
  if (array.dims.size() != static_cast<std::size_t>(expected_dims) ||
      elements != array.values.size()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dptrain::fuzzing::InputFile file(".idx.gz");
  const std::vector<std::uint8_t> bytes(data, data + size);
  const std::string& path = file.write(data, size);
  // Labels are 1-dimensional, images 3-dimensional: the two shapes dptrain reads.
  for (int dims : {1, 3}) {
    try {
      check_consistent(dptrain::parse_idx(bytes, dims, "fuzz input"), dims);
    } catch (const dptrain::Error&) {
    }
    try {
      check_consistent(dptrain::read_idx(path, dims), dims);
    } catch (const dptrain::Error&) {
    }
  }
  return 0;
}
