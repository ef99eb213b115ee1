// Fuzz target: the CRC-32 check of model files (zip archives) that runs before LibTorch reads
// them. It follows offsets and lengths read from the file; a dptrain::Error (a record that fails
// its checksum) is the expected answer to a damaged archive, anything else is a bug.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dptrain/data/zip_check.h"
#include "dptrain/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    dptrain::check_zip_records(std::vector<std::uint8_t>(data, data + size), "fuzz input");
  } catch (const dptrain::Error&) {
  }
  return 0;
}
