// LibTorch's model files (torch::save, torch.save) are zip archives whose reader does not check
// the CRC-32 that the archive stores for every record: a flipped bit in a tensor loads
// silently as a different weight. This checks them.
#pragma once

#include <string>

namespace dptrain {

// Throws dptrain::Error "<path>: damaged: record <name> fails its CRC-32 check" when a stored
// (uncompressed) record of the zip archive at `path` does not match its checksum. A file that is
// not a zip archive this can read is left to the caller's reader to report.
void check_zip_records(const std::string& path);

}  // namespace dptrain
