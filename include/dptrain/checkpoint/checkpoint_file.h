// The on-disk form of a checkpoint, independent of what it holds.
//
//   "DPTRCKPT" | u32 format version | u64 header bytes | u64 payload bytes |
//   header (JSON text) | payload (the serialized model and optimizer) | SHA-256 of all before
//
// Little-endian integers. The digest makes a partial or corrupted file detectable before any
// of it is used; the header carries what a resumed run must agree with (configuration
// fingerprint, epoch, step, ranks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dptrain {

constexpr std::uint32_t kCheckpointFormatVersion = 1;

struct CheckpointFile {
  std::string header;                  // JSON
  std::vector<std::uint8_t> payload;
};

std::vector<std::uint8_t> serialize_checkpoint(const CheckpointFile& file);

// Checks magic, version, sizes and digest; throws dptrain::Error naming `name` and what is
// wrong. Never returns a partially valid checkpoint.
CheckpointFile parse_checkpoint(const std::vector<std::uint8_t>& bytes, const std::string& name);

std::vector<std::uint8_t> read_whole_file(const std::string& path);

}  // namespace dptrain
