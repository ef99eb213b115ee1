// LibTorch's model files (torch::save, torch.save) are zip archives whose reader does not check
// the CRC-32 that the archive stores for every record: a flipped bit in a tensor loads
// silently as a different weight. This checks them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dptrain {

// Throws dptrain::Error "<name>: damaged: record <record> fails its CRC-32 check" when a stored
// (uncompressed) record of the zip archive `bytes` does not match its checksum. Bytes that are
// not a zip archive this can read are left to the caller's reader to report.
void check_zip_records(const std::vector<std::uint8_t>& bytes, const std::string& name);

}  // namespace dptrain
